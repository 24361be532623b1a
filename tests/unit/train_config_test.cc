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

TEST(TrainConfigTest, GpuOnlyOptionsNeedTheGpu) {
  TrainConfig c = Valid();
  c.device = "tpu";
  EXPECT_EQ(Problem(c), "--device=tpu: expected auto, cpu or cuda");
  c = Valid();
  c.device = "cpu";
  c.amp = Precision::kFloat16;
  EXPECT_EQ(Problem(c), "--amp=fp16 needs --device=cuda: autocast on the CPU computes in bf16 only (use --amp=bf16)");
  c.amp = Precision::kBFloat16;
  EXPECT_TRUE(ValidateTrainConfig(c, 2).ok());  // CPU autocast in bf16 is allowed
  c = Valid();
  c.device = "cpu";
  c.grad_compression = Precision::kBFloat16;
  EXPECT_EQ(Problem(c), "--grad_compression=bf16 needs --device=cuda: the MPI data plane has no 16-bit float types");
  c = Valid();
  c.device = "cuda";
  c.amp = Precision::kFloat16;
  c.lr_adascale = true;
  EXPECT_EQ(Problem(c),
            "--amp=fp16 and --lr_adascale do not go together: AdaScale would measure loss-scaled gradients");
  EXPECT_EQ(ParsePrecision("amp", "fp8").status().message(), "--amp=fp8: expected off, bf16 or fp16");
}

TEST(TrainConfigTest, JsonHoldsResolvedValues) {
  const std::string json = TrainConfigJson(Valid(), 4);
  EXPECT_NE(json.find("\"world_size\":4"), std::string::npos);
  EXPECT_NE(json.find("\"local_batch_size\":32"), std::string::npos);
  EXPECT_NE(json.find("\"model\":\"resnet20\""), std::string::npos);
  EXPECT_NE(json.find("\"cudnn_benchmark\":true"), std::string::npos);
}

}  // namespace
}  // namespace strobe
