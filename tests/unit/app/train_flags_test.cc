// The flag mapping: every setting of every module has a flag of its own name and type, the flag's default is the
// setting's default, and a value given on the command line reaches exactly that setting.
#include "app/train_flags.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace strobe {
namespace {

// A value for each setting that differs from its default, as flag text and as the setting's JSON value.
struct NonDefault {
  std::string flag_text;
  std::string json;
};

// Enumerations: a spelling other than the default.
const std::map<std::string, std::string> kOtherChoice = {
    {"amp", "bf16"},         {"grad_compression", "fp16"}, {"mix_mode", "pair"}, {"mix_partners", "ring"},
    {"task", "regression"}, {"regression_loss", "smooth_l1"}, {"optimizer", "lamb"}};

// Visits every setting and chooses a non-default value for it.
class ChooseNonDefaults {
 public:
  void operator()(const char* name, const std::string& value) { Add(name, "x-" + std::string(name), true); }
  void operator()(const char* name, bool value) { Add(name, value ? "false" : "true", false); }
  void operator()(const char* name, int value) { Add(name, absl::StrCat(value + 7), false); }
  void operator()(const char* name, int64_t value) { Add(name, absl::StrCat(value + 7), false); }
  void operator()(const char* name, uint64_t value) { Add(name, absl::StrCat(value + 7), false); }
  void operator()(const char* name, double value) { Add(name, absl::StrFormat("%.9g", value + 0.25), false); }
  void operator()(const char* name, const std::vector<double>&) {
    chosen[name] = NonDefault{"1.5,2.5", "\"1.5,2.5\""};
  }
  template <typename Enum, typename Parse, typename Name>
  void operator()(const char* name, Enum, Parse, Name) {
    const std::string& other = kOtherChoice.at(name);
    chosen[name] = NonDefault{other, "\"" + other + "\""};
  }

  std::map<std::string, NonDefault> chosen;

 private:
  void Add(const char* name, const std::string& text, bool quoted) {
    chosen[name] = NonDefault{text, quoted ? "\"" + text + "\"" : text};
  }
};

TEST(TrainFlagsTest, WithoutFlagsEverySettingHasItsStructDefault) {
  absl::FlagSaver restore_flags;
  absl::StatusOr<TrainConfig> config = TrainConfigFromFlags();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->Json(1), TrainConfig().Json(1));
}

TEST(TrainFlagsTest, EachFlagSetsExactlyItsOwnSetting) {
  absl::FlagSaver restore_flags;
  ChooseNonDefaults choose;
  const TrainConfig defaults;
  TrainConfig::Fields(defaults, choose);
  ASSERT_GT(choose.chosen.size(), 70u);  // every module's settings were visited
  for (const auto& [name, value] : choose.chosen) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    ASSERT_NE(flag, nullptr) << "no flag --" << name;
    std::string error;
    ASSERT_TRUE(flag->ParseFrom(value.flag_text, &error)) << name << ": " << error;
  }
  absl::StatusOr<TrainConfig> config = TrainConfigFromFlags();
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string json = config->Json(1);
  for (const auto& [name, value] : choose.chosen) {
    const std::string expected = "\"" + name + "\":" + value.json;
    const bool found = json.find(expected + ",") != std::string::npos || json.find(expected + "}") != std::string::npos;
    EXPECT_TRUE(found) << expected << " not in " << json;
  }
}

TEST(TrainFlagsTest, NoSettingNameIsUsedTwice) {
  std::vector<std::string> names;
  const TrainConfig config;
  TrainConfig::Fields(config, [&](const char* name, auto&&...) { names.push_back(name); });
  const std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size()) << absl::StrJoin(names, ",");
}

TEST(TrainFlagsTest, BadValuesNameTheFlag) {
  absl::FlagSaver restore_flags;
  std::string error;
  ASSERT_TRUE(absl::FindCommandLineFlag("mix_partners")->ParseFrom("sideways", &error));
  EXPECT_EQ(TrainConfigFromFlags().status().message(),
            "--mix_partners=sideways is not a partner policy; choose one of: flip, roll, permute, previous, ring");
  ASSERT_TRUE(absl::FindCommandLineFlag("mix_partners")->ParseFrom("flip", &error));
  ASSERT_TRUE(absl::FindCommandLineFlag("lr_milestones")->ParseFrom("30,ten", &error));
  EXPECT_EQ(TrainConfigFromFlags().status().message(), "--lr_milestones: 'ten' is not a number");
  ASSERT_TRUE(absl::FindCommandLineFlag("lr_milestones")->ParseFrom("30,60", &error));
  ASSERT_TRUE(absl::FindCommandLineFlag("amp")->ParseFrom("fp8", &error));
  EXPECT_EQ(TrainConfigFromFlags().status().message(), "--amp=fp8: expected off, bf16 or fp16");
}

}  // namespace
}  // namespace strobe
