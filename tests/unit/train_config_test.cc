#include "worker/train_config.h"

#include <gtest/gtest.h>

namespace strobe {
namespace {

TrainConfig Valid() {
  TrainConfig config;
  config.data.dir = "/data";
  config.run.run_dir = "/runs/a";
  return config;
}

std::string Problem(const TrainConfig& config, int world_size = 2) {
  return std::string(config.Validate(world_size).message());
}

TEST(TrainConfigTest, AcceptsDefaults) { EXPECT_TRUE(Valid().Validate(2).ok()); }

TEST(TrainConfigTest, NamesTheBadFlag) {
  struct Case {
    void (*spoil)(TrainConfig&);
    const char* problem;
  };
  const Case cases[] = {
      {[](TrainConfig& c) { c.run.global_batch = 0; }, "--batch_size must be positive, got 0"},
      {[](TrainConfig& c) { c.run.global_batch = 129; },
       "--batch_size=129 (the global batch) is not divisible by the 2 ranks; use a multiple of 2"},
      {[](TrainConfig& c) { c.run.epochs = -1; }, "--epochs must be positive, got -1"},
      {[](TrainConfig& c) { c.run.accum_steps = 0; }, "--accum_steps must be positive, got 0"},
      {[](TrainConfig& c) { c.run.accum_steps = 3; },
       "--accum_steps=3 does not divide each rank's share of the global batch (--batch_size=128 over 2 ranks: 64 "
       "samples per rank); use a divisor of 64"},
      {[](TrainConfig& c) { c.mix.label_smoothing = 1.0; }, "--label_smoothing=1 must lie in [0, 1)"},
      {[](TrainConfig& c) { c.run.run_dir = ""; }, "--run_dir is required"},
      {[](TrainConfig& c) { c.data.dir = ""; },
       "--data is required (a directory of IDX files, or of train/ and val/ class folders)"},
      {[](TrainConfig& c) { c.run.progress = "fancy"; }, "--progress=fancy is not one of auto, live, lines"},
      {[](TrainConfig& c) { c.optimizer.momentum = 0; }, "--nesterov needs --momentum > 0"},
      {[](TrainConfig& c) { c.model.name = "alexnet"; },
       "--model=alexnet is not a known model; choose one of: resnet18, resnet20, resnet50, or a TorchScript file "
       "(PATH.pt)"},
      {[](TrainConfig& c) { c.lr.plateau_metric = "val_f1"; },
       "--plateau_metric=val_f1 is not one of val_loss, val_accuracy, train_loss"},
      {[](TrainConfig& c) { c.checkpoint.keep = -1; }, "--keep_checkpoints must be >= 0, got -1"},
      {[](TrainConfig& c) { c.device.bucket_cap_mb = 0; }, "--bucket_cap_mb must be positive, got 0"},
      {[](TrainConfig& c) { c.data.shuffle_window = 10; },
       "--data_streams and --shuffle_window apply to --data_order=streamed only; add it, or drop them"},
  };
  for (const Case& bad : cases) {
    TrainConfig c = Valid();
    bad.spoil(c);
    EXPECT_EQ(Problem(c), bad.problem);
  }
}

TEST(TrainConfigTest, ChecksBetweenModules) {
  TrainConfig c = Valid();
  c.lr.schedule = "onecycle";
  c.lr.warmup_steps = 10;
  EXPECT_EQ(Problem(c),
            "--lr_schedule=onecycle rises to the peak over --onecycle_pct_start of the run; --warmup_steps does not "
            "apply");
  c = Valid();
  c.data.order = "streamed";
  c.data.streams = 3;
  EXPECT_FALSE(c.Validate(2).ok());  // 3 streams cannot be shared by 2 ranks
  c = Valid();
  c.task.task = Task::kRegression;
  c.mix.label_smoothing = 0.1;
  EXPECT_EQ(Problem(c), "--label_smoothing applies to classification: --task=regression trains on the label's value");
  c = Valid();
  c.data.image_size_schedule = "32@0,48@1";
  c.mix.cutmix_alpha = 1.0;
  c.mix.partners = PartnerPolicy::kRing;
  EXPECT_TRUE(c.Validate(2).ok());
  EXPECT_EQ(Problem(c, 1),
            "--image_size_schedule changes the batches' image size between epochs, so --mix_partners=ring (partners "
            "from the previous batch at 1 rank) could pair images of two sizes; use --mix_partners=flip, roll or "
            "permute");
  c.mix.partners = PartnerPolicy::kPrevious;
  EXPECT_FALSE(c.Validate(2).ok());
  c.data.image_size_schedule = "32@0,24@1";
  EXPECT_EQ(Problem(c), "--image_size_schedule=32@0,24@1: '24@1' does not increase both the epoch and the size over "
                        "the entry before it");
  c = Valid();
  c.task.task = Task::kRegression;
  c.mix.label_smoothing = 0;
  c.task.smooth_l1_beta = -1;
  EXPECT_EQ(Problem(c), "--smooth_l1_beta=-1 must lie in [0, 1e+09]");
}

TEST(TrainConfigTest, GpuOnlyOptionsNeedTheGpu) {
  TrainConfig c = Valid();
  c.device.device = "tpu";
  EXPECT_EQ(Problem(c), "--device=tpu: expected auto, cpu or cuda");
  c = Valid();
  c.device.device = "cpu";
  c.device.amp = Precision::kFloat16;
  EXPECT_EQ(Problem(c), "--amp=fp16 needs --device=cuda: autocast on the CPU computes in bf16 only (use --amp=bf16)");
  c.device.amp = Precision::kBFloat16;
  EXPECT_TRUE(c.Validate(2).ok());  // CPU autocast in bf16 is allowed
  c = Valid();
  c.device.device = "cpu";
  c.device.grad_compression = Precision::kBFloat16;
  EXPECT_EQ(Problem(c), "--grad_compression=bf16 needs --device=cuda: the MPI data plane has no 16-bit float types");
  c = Valid();
  c.device.device = "cuda";
  c.device.amp = Precision::kFloat16;
  c.lr.adascale = true;
  EXPECT_EQ(Problem(c),
            "--amp=fp16 and --lr_adascale do not go together: AdaScale would measure loss-scaled gradients");
  EXPECT_EQ(ParsePrecision("amp", "fp8").status().message(), "--amp=fp8: expected off, bf16 or fp16");
}

TEST(TrainConfigTest, JsonHoldsEverySettingUnderItsFlagAndWhatTheWorldSizeResolves) {
  TrainConfig c = Valid();
  c.lr.milestones = {30, 60.5};
  c.mix.partners = PartnerPolicy::kRing;
  c.device.amp = Precision::kBFloat16;
  const std::string json = c.Json(4);
  for (const char* expected : {"\"world_size\":4", "\"local_batch_size\":32", "\"data_order_resolved\":\"shuffled\"",
                               "\"model\":\"resnet20\"", "\"cudnn_benchmark\":true", "\"batch_size\":128",
                               "\"lr_milestones\":\"30,60.5\"", "\"mix_partners\":\"ring\"", "\"amp\":\"bf16\"",
                               "\"data\":\"/data\"", "\"seed\":1", "\"bucket_cap_mb\":25"}) {
    EXPECT_NE(json.find(expected), std::string::npos) << expected << " in " << json;
  }
  c.data.order = "streamed";
  EXPECT_NE(c.Json(4).find("\"data_order_resolved\":\"streamed: --data_streams=4 --shuffle_window=1024 "
                           "--batch_size=128\""),
            std::string::npos);
}

}  // namespace
}  // namespace strobe
