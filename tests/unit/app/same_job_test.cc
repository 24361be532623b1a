// What ranks compare before a job runs (app/same_job.h): every flag as parsed but the per-rank and flag-source ones,
// and the message that names the differences.
#include "app/same_job.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"

namespace strobe {
namespace {

std::map<std::string, std::string> ByName(const std::vector<JobSetting>& settings) {
  std::map<std::string, std::string> by_name;
  for (const JobSetting& setting : settings) by_name[setting.name] = setting.value;
  return by_name;
}

TEST(SameJobTest, ComparesTheCommandAndEveryFlagAsParsedInOneOrder) {
  absl::FlagSaver restore_flags;
  std::string error;
  ASSERT_TRUE(absl::FindCommandLineFlag("amp")->ParseFrom("bf16", &error)) << error;
  ASSERT_TRUE(absl::FindCommandLineFlag("batch_size")->ParseFrom("96", &error)) << error;
  const std::vector<JobSetting> settings = JobDefiningSettings({"train"});
  ASSERT_FALSE(settings.empty());
  EXPECT_EQ(settings[0].name, "command");
  EXPECT_EQ(settings[0].value, "train");
  EXPECT_TRUE(std::is_sorted(settings.begin() + 1, settings.end(),
                             [](const JobSetting& a, const JobSetting& b) { return a.name < b.name; }));
  const std::map<std::string, std::string> by_name = ByName(settings);
  EXPECT_EQ(by_name.at("amp"), "bf16");
  EXPECT_EQ(by_name.at("batch_size"), "96");
  EXPECT_EQ(by_name.at("lr_schedule"), "cosine");
  // Every flag of the binary, one setting each, but those that only size a rank's resources or say where flags came
  // from.
  size_t compared = 0;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const bool per_rank = name == "threads" || name == "decode_threads" || name == "prefetch_batches" ||
                          name == "flagfile" || name == "fromenv" || name == "tryfromenv" || name == "undefok";
    EXPECT_EQ(by_name.count(std::string(name)), per_rank ? 0u : 1u) << name;
    compared += per_rank ? 0 : 1;
  }
  EXPECT_EQ(settings.size(), compared + 1);
  // The per-rank flags are real flag names (main.cc defines startup_timeout_s, outside this test binary).
  for (const char* name : kPerRankFlags) {
    if (std::string(name) != "startup_timeout_s") {
      EXPECT_NE(absl::FindCommandLineFlag(name), nullptr) << name;
    }
  }
}

TEST(SameJobTest, OperandsArePartOfTheCommand) {
  EXPECT_EQ(JobDefiningSettings({"eval"})[0].value, "eval");
  EXPECT_EQ(JobDefiningSettings({"export", "ckpt", "out.pt"})[0].value, "export ckpt out.pt");
}

TEST(SameJobTest, TheMessageNamesTheFirstSixDifferencesWithBothValues) {
  std::vector<std::pair<JobSetting, JobSetting>> differing;
  for (int i = 1; i <= 7; ++i) {
    const std::string name = absl::StrCat("flag", i);
    differing.push_back({{name, absl::StrCat(i)}, {name, absl::StrCat(10 * i)}});
  }
  EXPECT_EQ(DescribeDifferentSettings(3, "node7", differing),
            "rank 3 on node7 was started with other settings than rank 0: --flag1=10 (rank 0: --flag1=1), --flag2=20 "
            "(rank 0: --flag2=2), --flag3=30 (rank 0: --flag3=3), --flag4=40 (rank 0: --flag4=4), --flag5=50 (rank 0: "
            "--flag5=5), --flag6=60 (rank 0: --flag6=6) and 1 more. Every rank of a job must get the same flags (only "
            "--threads, --decode_threads, --prefetch_batches, --startup_timeout_s may differ): check each host's "
            "--flagfile and the launch command");
  EXPECT_EQ(DescribeDifferentSettings(1, "b", {{{"command", "train"}, {"command", "eval"}}}).find(
                "rank 1 on b was started with other settings than rank 0: eval (rank 0: train). Every rank"),
            0u);
}

}  // namespace
}  // namespace strobe
