// The LR controller the LR settings describe for a run (coordinator/lr_options.h).
#include "coordinator/lr_options.h"

#include <gtest/gtest.h>

namespace strobe {
namespace {

TEST(LrOptionsTest, LinearScalingWarmupAndScheduleLengthFollowTheRun) {
  LrOptions options;
  options.base_lr = 0.1;
  options.schedule = "step";
  options.milestones = {1.0};  // one epoch after warmup
  options.warmup_epochs = 0.5;
  // 4 ranks, global batch 512: peak 0.1 x 512 / 256; 10 steps per epoch, 3 epochs.
  absl::StatusOr<LrController> controller = MakeLrController(options, LrRunShape{512, 10, 3, 4});
  ASSERT_TRUE(controller.ok()) << controller.status();
  EXPECT_DOUBLE_EQ(controller->LrAt(0), 0.2 / 5);  // warmup over 5 steps: peak x 1/5
  EXPECT_DOUBLE_EQ(controller->LrAt(4), 0.2);
  EXPECT_DOUBLE_EQ(controller->LrAt(14), 0.2);
  EXPECT_DOUBLE_EQ(controller->LrAt(15), 0.2 * 0.1);  // the milestone, 10 steps after warmup

  options.scale_lr = false;
  controller = MakeLrController(options, LrRunShape{512, 10, 3, 4});
  ASSERT_TRUE(controller.ok());
  EXPECT_DOUBLE_EQ(controller->LrAt(4), 0.1);
}

TEST(LrOptionsTest, AdaScaleStartsFromTheSingleRankSchedule) {
  LrOptions options;
  options.schedule = "constant";
  options.warmup_epochs = 0;
  options.adascale = true;
  absl::StatusOr<LrController> controller = MakeLrController(options, LrRunShape{512, 10, 3, 4});
  ASSERT_TRUE(controller.ok()) << controller.status();
  EXPECT_TRUE(controller->uses_gradient_statistics());
  EXPECT_DOUBLE_EQ(controller->LrAt(0), 0.1 * 128 / 256);  // one rank's batch of 128; gain 1 until measured
}

TEST(LrOptionsTest, PlateauFloorIsAFractionOfThePeak) {
  LrOptions options;
  options.plateau_metric = "val_loss";
  options.plateau_min_lr = 0.5;  // above the peak 0.1 x 128 / 256
  EXPECT_EQ(MakeLrController(options, LrRunShape{128, 10, 3, 1}).status().message(),
            "--plateau_min_lr must lie in [0, peak LR]; as a fraction of the peak it is 10");
  options.plateau_min_lr = 0.01;
  EXPECT_TRUE(MakeLrController(options, LrRunShape{128, 10, 3, 1}).ok());
}

TEST(LrOptionsTest, ValidateNamesTheFlag) {
  LrOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.base_lr = 0;
  EXPECT_EQ(options.Validate().message(), "--lr=0 must lie in [1e-12, 1e+06]");
  options = LrOptions{};
  options.adascale_smoothing = 1;
  EXPECT_EQ(options.Validate().message(), "--adascale_smoothing=1 must lie in [0, 1)");
  options = LrOptions{};
  options.plateau_metric = "val_f1";
  EXPECT_EQ(options.Validate().message(), "--plateau_metric=val_f1 is not one of val_loss, val_accuracy, train_loss");
  options = LrOptions{};
  options.schedule = "linear";
  EXPECT_EQ(MakeLrController(options, LrRunShape{128, 10, 3, 1}).status().message(),
            "--lr_schedule=linear is not a schedule; choose one of: constant, cosine, step, poly, onecycle");
}

}  // namespace
}  // namespace strobe
