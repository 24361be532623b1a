#include "worker/output/metrics_file.h"

#include <gtest/gtest.h>

#include <limits>

#include "tests/unit/temp_dir.h"
#include "worker/output/json_line.h"

namespace strobe {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(MetricsFileTest, ReadsBackWhatJsonLineWrites) {
  const std::string line = JsonLine()
                               .Add("kind", "train")
                               .Add("step", int64_t{40})
                               .Add("loss", 0.123456789)
                               .Add("lr", -1.5e-7)
                               .Add("straggler", true)
                               .Add("bad", std::numeric_limits<double>::quiet_NaN())
                               .Add("message", "a \"quoted\"\tword\n")
                               .AddFixed("time", 1796477313.119, 3)
                               .str();
  absl::StatusOr<MetricsLine> parsed = ParseMetricsLine(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->kind, "train");
  EXPECT_EQ(*parsed->Get("step"), 40);
  EXPECT_DOUBLE_EQ(*parsed->Get("loss"), 0.123456789);
  EXPECT_DOUBLE_EQ(*parsed->Get("lr"), -1.5e-7);
  EXPECT_EQ(*parsed->Get("straggler"), 1.0);
  EXPECT_FALSE(parsed->Get("bad").has_value());  // null: a non-finite number
  EXPECT_FALSE(parsed->Get("message").has_value());
  EXPECT_DOUBLE_EQ(*parsed->Get("time"), 1796477313.119);
}

TEST(MetricsFileTest, MalformedLinesAreErrorsWithTheirColumn) {
  for (const std::string bad : {"", "{", "{\"a\" 1}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "[1]"}) {
    EXPECT_FALSE(ParseMetricsLine(bad).ok()) << bad;
  }
  EXPECT_NE(ParseMetricsLine("{\"a\":x}").status().message().find("column 6"), std::string::npos);
  EXPECT_TRUE(ParseMetricsLine("{}").ok());
}

TEST(MetricsFileTest, ALiveRunsUnfinishedLastLineIsLeftOutAndADamagedLineNamed) {
  TempDir root;
  WriteFile(root.Path("m"), "{\"kind\":\"train\",\"step\":1}\n\n{\"kind\":\"eval\",\"step\":2}\n{\"kind\":\"tr");
  absl::StatusOr<std::vector<MetricsLine>> lines = ReadMetricsFile(root.Path("m"));
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_EQ((*lines)[1].kind, "eval");
  WriteFile(root.Path("bad"), "{\"kind\":\"train\"}\n{oops}\n");
  const absl::Status status = ReadMetricsFile(root.Path("bad")).status();
  EXPECT_NE(status.message().find("bad line 2: expected a quoted key"), std::string::npos) << status;
  EXPECT_FALSE(ReadMetricsFile(root.Path("missing")).ok());
}

}  // namespace
}  // namespace strobe
