#include "worker/train_config.h"

#include <gtest/gtest.h>

namespace strobe {
namespace {

TrainConfig Valid() {
  TrainConfig config;
  config.data_dir = "/data";
  config.run_dir = "/runs/a";
  return config;
}

std::string Problem(const TrainConfig& config, int world_size = 2) {
  return std::string(ValidateTrainConfig(config, world_size).message());
}

TEST(TrainConfigTest, AcceptsDefaults) { EXPECT_TRUE(ValidateTrainConfig(Valid(), 2).ok()); }

TEST(TrainConfigTest, NamesTheBadFlag) {
  TrainConfig c = Valid();
  c.global_batch = 0;
  EXPECT_EQ(Problem(c), "--batch_size must be positive, got 0");
  c = Valid();
  c.global_batch = 129;
  EXPECT_EQ(Problem(c), "--batch_size=129 (the global batch) is not divisible by the 2 ranks; use a multiple of 2");
  c = Valid();
  c.epochs = -1;
  EXPECT_EQ(Problem(c), "--epochs must be positive, got -1");
  c = Valid();
  c.label_smoothing = 1.0;
  EXPECT_EQ(Problem(c), "--label_smoothing=1 must lie in [0, 1)");
  c = Valid();
  c.run_dir = "";
  EXPECT_EQ(Problem(c), "--run_dir is required");
  c = Valid();
  c.progress = "fancy";
  EXPECT_EQ(Problem(c), "--progress=fancy is not one of auto, live, lines");
  c = Valid();
  c.sgd.momentum = 0;
  EXPECT_EQ(Problem(c), "--nesterov needs --momentum > 0");
}

TEST(TrainConfigTest, JsonHoldsResolvedValues) {
  const std::string json = TrainConfigJson(Valid(), 4);
  EXPECT_NE(json.find("\"world_size\":4"), std::string::npos);
  EXPECT_NE(json.find("\"local_batch_size\":32"), std::string::npos);
  EXPECT_NE(json.find("\"model\":\"resnet20\""), std::string::npos);
}

}  // namespace
}  // namespace strobe
