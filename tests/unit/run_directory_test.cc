#include "worker/output/run_directory.h"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <memory>
#include <regex>

#include "tests/unit/temp_dir.h"
#include "worker/output/json_line.h"
#include "worker/output/progress.h"
#include "worker/output/tensorboard/event_file_writer.h"
#include "worker/output/tensorboard/record_file.h"

namespace strobe {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

TEST(RunDirectoryTest, CreatesDirectoryAndPublishesConfig) {
  TempDir root;
  ASSERT_TRUE(PrepareRunDirectory(root.Path("a/b"), "{\"x\":1}").ok());
  EXPECT_EQ(ReadFile(root.Path("a/b/config.json")), "{\"x\":1}\n");
  EXPECT_FALSE(PathExists(root.Path("a/b/config.json.tmp")));
}

TEST(RunDirectoryTest, RefusesAnEarlierRunAndLeavesItUntouched) {
  TempDir root;
  WriteFile(root.Path("metrics.jsonl"), "old\n");
  const absl::Status status = PrepareRunDirectory(root.path(), "{}");
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(status.message().find("already holds a run (metrics.jsonl)"), std::string::npos) << status;
  EXPECT_EQ(ReadFile(root.Path("metrics.jsonl")), "old\n");
  EXPECT_FALSE(PathExists(root.Path("config.json")));
}

TEST(RunDirectoryTest, ReportsAPathThatCannotBeADirectory) {
  TempDir root;
  WriteFile(root.Path("file"), "x");
  const absl::Status status = PrepareRunDirectory(root.Path("file/run"), "{}");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot be created"), std::string::npos) << status;
}

TEST(JsonLineTest, QuotesAndFormats) {
  EXPECT_EQ(JsonLine().Add("a", "x\"y\n").Add("b", 1.5).Add("c", int64_t{3}).Add("d", true).str(),
            "{\"a\":\"x\\\"y\\n\",\"b\":1.5,\"c\":3,\"d\":true}");
  EXPECT_EQ(JsonLine().Add("nan", std::nan("")).str(), "{\"nan\":null}");
}

TEST(FileSystemTest, MakeDirectoriesAndWriteAtomically) {
  TempDir root;
  EXPECT_TRUE(MakeDirectories(root.Path("x/y/z")).ok());
  EXPECT_TRUE(IsDirectory(root.Path("x/y/z")));
  EXPECT_TRUE(MakeDirectories(root.Path("x/y/z/")).ok());  // existing, trailing slash
  ASSERT_TRUE(WriteFileAtomically(root.Path("x/f"), "one").ok());
  ASSERT_TRUE(WriteFileAtomically(root.Path("x/f"), "two").ok());
  EXPECT_EQ(ReadFile(root.Path("x/f")), "two");
  EXPECT_FALSE(PathExists(root.Path("x/f.tmp")));
  EXPECT_FALSE(WriteFileAtomically(root.Path("missing/f"), "x").ok());
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
}

// metrics.jsonl lines end with the wall time and the seconds since the reporter began; the rest is exact.
std::string WithoutTimes(const std::string& lines) {
  return std::regex_replace(lines, std::regex(R"(,"time":[0-9]+\.[0-9]{3},"elapsed_s":[0-9]+\.[0-9]{3}\})"), "}");
}

TrainProgress SomeProgress() {
  TrainProgress progress;
  progress.epochs = 2;
  progress.step = 10;
  progress.total_steps = 100;
  progress.loss = 0.5;
  progress.lr = 0.1;
  progress.images_per_s = 1234.0;
  progress.data_wait = 0.25;
  progress.eta_seconds = 65.0;
  progress.samples = 1280;
  progress.momentum = 0.9;
  return progress;
}

TEST(ProgressTest, EvaluationsOfTheEmaAndOfARegressionModel) {
  TempDir root;
  const std::string metrics = root.Path("metrics.jsonl");
  char buffer[1024] = {};
  std::FILE* out = fmemopen(buffer, sizeof(buffer), "w");
  {
    ProgressReporter reporter(out, /*is_terminal=*/false, metrics);
    reporter.Eval(EvalProgress{0, 50, 1000, false, EvalScores{0.25, 0.875, 0.99}, EvalScores{0.2, 0.9, 0.995}});
    reporter.Eval(EvalProgress{1, 100, 1000, true, EvalScores{0.8, 0.75, 0, 0.5, 0.9}});
  }
  std::fclose(out);
  EXPECT_EQ(std::string(buffer),
            "epoch 1 test accuracy 0.8750 (top-5 0.9900) loss 0.2500; EMA accuracy 0.9000 (top-5 0.9950) loss "
            "0.2000 (1000 images)\n"
            "epoch 2 test MAE 0.5000 RMSE 0.9000 rounded accuracy 0.7500 loss 0.8000 (1000 images)\n");
  EXPECT_EQ(WithoutTimes(ReadFile(metrics)),
            "{\"kind\":\"eval\",\"epoch\":0,\"step\":50,\"test_loss\":0.25,\"test_accuracy\":0.875,"
            "\"test_top5\":0.99,\"ema_test_loss\":0.2,\"ema_test_accuracy\":0.9,\"ema_test_top5\":0.995,"
            "\"test_samples\":1000}\n"
            "{\"kind\":\"eval\",\"epoch\":1,\"step\":100,\"test_loss\":0.8,\"test_accuracy\":0.75,"
            "\"test_mae\":0.5,\"test_rmse\":0.9,\"test_samples\":1000}\n");
}

TEST(ProgressTest, PlainLinesAndMetrics) {
  TempDir root;
  const std::string metrics = root.Path("metrics.jsonl");
  char buffer[1024] = {};
  std::FILE* out = fmemopen(buffer, sizeof(buffer), "w");
  {
    ProgressReporter reporter(out, /*is_terminal=*/false, metrics);
    reporter.Train(SomeProgress());
    reporter.Eval(EvalProgress{0, 50, 1000, false, EvalScores{0.25, 0.875, 0.99}});
    reporter.Event("checkpoint", 50, "saved");
  }
  std::fclose(out);
  EXPECT_EQ(std::string(buffer),
            "epoch 1/2 step 10/100 loss 0.5000 lr 0.10000 1234 img/s data wait 25% eta 0:01:05\n"
            "epoch 1 test accuracy 0.8750 (top-5 0.9900) loss 0.2500 (1000 images)\n"
            "strobe: saved\n");
  const std::string lines = ReadFile(metrics);
  EXPECT_EQ(WithoutTimes(lines),
            "{\"kind\":\"train\",\"epoch\":0,\"step\":10,\"samples\":1280,\"loss\":0.5,\"lr\":0.1,\"momentum\":0.9,"
            "\"images_per_s\":1234,\"data_wait\":0.25,\"skipped_steps\":0}\n"
            "{\"kind\":\"eval\",\"epoch\":0,\"step\":50,\"test_loss\":0.25,\"test_accuracy\":0.875,"
            "\"test_top5\":0.99,\"test_samples\":1000}\n"
            "{\"kind\":\"checkpoint\",\"step\":50,\"message\":\"saved\"}\n")
      << lines;
  // Every line carries a wall time of today's order (seconds since 1970, not since the process began).
  const double time = std::stod(lines.substr(lines.find("\"time\":") + 7));
  EXPECT_GT(time, 1.7e9);
}

TEST(ProgressTest, NamesTheStragglerByRankAndHost) {
  char buffer[1024] = {};
  std::FILE* out = fmemopen(buffer, sizeof(buffer), "w");
  {
    ProgressReporter reporter(out, /*is_terminal=*/false, /*metrics_path=*/"");
    TrainProgress progress = SomeProgress();
    StepWindow fast, slow;
    fast.steps = slow.steps = 5;
    fast.seconds_per_step[static_cast<int>(StepPart::kForward)] = 0.100;
    fast.seconds_per_step[static_cast<int>(StepPart::kAllReduce)] = 0.150;
    slow.seconds_per_step[static_cast<int>(StepPart::kForward)] = 0.250;
    progress.breakdown = ReduceBreakdown({fast, fast, slow});
    progress.slowest_host = "node7";
    reporter.Train(progress);
    progress.breakdown = ReduceBreakdown({fast, fast});
    reporter.Train(progress);
  }
  std::fclose(out);
  EXPECT_EQ(std::string(buffer),
            "epoch 1/2 step 10/100 loss 0.5000 lr 0.10000 1234 img/s data wait 25% eta 0:01:05 | straggler: rank 2 "
            "(node7) busy 250 ms per step, median 100 ms\n"
            "epoch 1/2 step 10/100 loss 0.5000 lr 0.10000 1234 img/s data wait 25% eta 0:01:05\n");
}

// Reports 40 training windows with TensorBoard output in `directory` after capping this process's file size at
// 2 KiB (RLIMIT_FSIZE: writes past it fail with EFBIG, as on a full disk), and exits 0 if exactly one warning said
// TensorBoard output stopped, every report was still printed, and the event file holds only whole records.
[[noreturn]] void ReportOntoAFullDisk(const std::string& directory) {
  std::signal(SIGXFSZ, SIG_IGN);
  char buffer[16384] = {};
  std::FILE* out = fmemopen(buffer, sizeof(buffer), "w");
  std::string path;
  {
    ProgressReporter reporter(out, /*is_terminal=*/false, /*metrics_path=*/"");
    absl::StatusOr<std::unique_ptr<EventFileWriter>> events = EventFileWriter::Open(directory, -1, "h");
    if (!events.ok()) std::_Exit(2);
    path = (*events)->path();
    reporter.WriteTensorBoard(*std::move(events));
    const rlimit limit{2048, RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) std::_Exit(3);
    for (int report = 0; report < 40; ++report) reporter.Train(SomeProgress());
  }
  std::fclose(out);
  const std::string printed(buffer);
  size_t warnings = 0;
  for (size_t at = printed.find("TensorBoard output stopped"); at != std::string::npos;
       at = printed.find("TensorBoard output stopped", at + 1)) {
    ++warnings;
  }
  const size_t lines = std::count(printed.begin(), printed.end(), '\n');
  const absl::StatusOr<RecordScan> scan = ReadRecords(path);
  const bool whole = scan.ok() && scan->records.size() > 1 && scan->valid_bytes <= 2048;
  const bool said =
      printed.find("strobe: TensorBoard output stopped (training goes on): ") != std::string::npos &&
      printed.find("write failed") != std::string::npos;
  std::fprintf(stderr, "warnings %zu, lines %zu, whole %d, said %d\n", warnings, lines, whole, said);
  std::_Exit(warnings == 1 && lines == 41 && whole && said ? 0 : 1);
}

TEST(ProgressTest, AFullDiskEndsTensorBoardOutputWithOneWarningAndTrainingReportsGoOn) {
  TempDir root;
  EXPECT_EXIT(ReportOntoAFullDisk(root.path()), ::testing::ExitedWithCode(0), "warnings 1, lines 41, whole 1, said 1");
}

}  // namespace
}  // namespace strobe
