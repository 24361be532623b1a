#include "worker/output/run_directory.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "worker/output/json_line.h"
#include "worker/output/progress.h"

namespace strobe {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class RunDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("strobe_rundir_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(RunDirectoryTest, CreatesDirectoryAndPublishesConfig) {
  ASSERT_TRUE(PrepareRunDirectory((root_ / "a/b").string(), "{\"x\":1}").ok());
  EXPECT_EQ(ReadFile(root_ / "a/b/config.json"), "{\"x\":1}\n");
  EXPECT_FALSE(fs::exists(root_ / "a/b/config.json.tmp"));
}

TEST_F(RunDirectoryTest, RefusesAnEarlierRunAndLeavesItUntouched) {
  fs::create_directories(root_);
  std::ofstream(root_ / "metrics.jsonl") << "old\n";
  const absl::Status status = PrepareRunDirectory(root_.string(), "{}");
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(status.message().find("already holds a run (metrics.jsonl)"), std::string::npos) << status;
  EXPECT_EQ(ReadFile(root_ / "metrics.jsonl"), "old\n");
  EXPECT_FALSE(fs::exists(root_ / "config.json"));
}

TEST_F(RunDirectoryTest, ReportsAPathThatCannotBeADirectory) {
  fs::create_directories(root_);
  std::ofstream(root_ / "file") << "x";
  const absl::Status status = PrepareRunDirectory((root_ / "file/run").string(), "{}");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot be created"), std::string::npos) << status;
}

TEST(JsonLineTest, QuotesAndFormats) {
  EXPECT_EQ(JsonLine().Add("a", "x\"y\n").Add("b", 1.5).Add("c", int64_t{3}).Add("d", true).str(),
            "{\"a\":\"x\\\"y\\n\",\"b\":1.5,\"c\":3,\"d\":true}");
  EXPECT_EQ(JsonLine().Add("nan", std::nan("")).str(), "{\"nan\":null}");
}

TEST(ProgressTest, PlainLinesAndMetrics) {
  const fs::path metrics = fs::temp_directory_path() / "strobe_progress_metrics.jsonl";
  fs::remove(metrics);
  char buffer[1024] = {};
  std::FILE* out = fmemopen(buffer, sizeof(buffer), "w");
  {
    ProgressReporter reporter(out, /*is_terminal=*/false, metrics.string());
    reporter.Train(TrainProgress{0, 2, 10, 100, 0.5, 0.1, 1234.0, 65.0});
    reporter.Eval(EvalProgress{0, 50, 1000, 0.25, 0.875});
  }
  std::fclose(out);
  EXPECT_EQ(std::string(buffer),
            "epoch 1/2 step 10/100 loss 0.5000 lr 0.10000 1234 img/s eta 0:01:05\n"
            "epoch 1 test accuracy 0.8750 loss 0.2500 (1000 images)\n");
  EXPECT_EQ(ReadFile(metrics),
            "{\"kind\":\"train\",\"epoch\":0,\"step\":10,\"loss\":0.5,\"lr\":0.1,\"images_per_s\":1234}\n"
            "{\"kind\":\"eval\",\"epoch\":0,\"step\":50,\"test_loss\":0.25,\"test_accuracy\":0.875,"
            "\"test_samples\":1000}\n");
  fs::remove(metrics);
}

}  // namespace
}  // namespace strobe
