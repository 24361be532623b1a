#include "coordinator/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strobe {
namespace {

LrScheduleSpec Spec(const std::string& kind, double peak_lr, int64_t warmup_steps, int64_t total_steps,
                    double final_lr) {
  LrScheduleSpec spec;
  spec.kind = kind;
  spec.peak_lr = peak_lr;
  spec.warmup_steps = warmup_steps;
  spec.total_steps = total_steps;
  spec.final_lr = final_lr;
  return spec;
}

std::unique_ptr<LrSchedule> Make(LrScheduleSpec spec) {
  auto schedule = MakeLrSchedule(spec);
  EXPECT_TRUE(schedule.ok()) << schedule.status();
  return schedule.ok() ? *std::move(schedule) : nullptr;
}

TEST(LrScheduleTest, LinearScalingRule) {
  EXPECT_DOUBLE_EQ(LinearScaledLr(0.1, 256, 256), 0.1);
  EXPECT_DOUBLE_EQ(LinearScaledLr(0.1, 8192, 256), 3.2);  // Goyal et al. 2017
  EXPECT_DOUBLE_EQ(LinearScaledLr(0.1, 128, 256), 0.05);
}

TEST(LrScheduleTest, WarmupThenCosineAtBoundaries) {
  auto lr = Make(Spec("cosine", /*peak_lr=*/0.4, /*warmup_steps=*/4, /*total_steps=*/104, /*final_lr=*/0.0));
  EXPECT_DOUBLE_EQ(lr->LrAt(0), 0.1);
  EXPECT_DOUBLE_EQ(lr->LrAt(3), 0.4);  // end of warmup reaches the peak
  EXPECT_DOUBLE_EQ(lr->LrAt(4), 0.4);  // cosine starts at the peak
  EXPECT_NEAR(lr->LrAt(54), 0.2, 1e-15);  // halfway through the decay
  EXPECT_NEAR(lr->LrAt(29), 0.4 * 0.5 * (1 + std::cos(M_PI * 0.25)), 1e-15);
  EXPECT_NEAR(lr->LrAt(103), 0.4 * 0.5 * (1 + std::cos(M_PI * 0.99)), 1e-15);  // last step
  EXPECT_DOUBLE_EQ(lr->LrAt(104), 0.0);
  EXPECT_DOUBLE_EQ(lr->LrAt(1000), 0.0);  // stays at the floor past the end
}

TEST(LrScheduleTest, CosineFloorWithoutWarmup) {
  auto lr = Make(Spec("cosine", 1.0, 0, 10, 0.1));
  EXPECT_DOUBLE_EQ(lr->LrAt(0), 1.0);
  EXPECT_NEAR(lr->LrAt(5), 0.55, 1e-15);
  EXPECT_DOUBLE_EQ(lr->LrAt(10), 0.1);
}

TEST(LrScheduleTest, StepDecaysAtMilestonesCountedAfterWarmup) {
  LrScheduleSpec spec = Spec("step", 0.8, 2, 100, 0.0);
  spec.milestones = {10, 30};
  spec.gamma = 0.5;
  auto lr = Make(spec);
  EXPECT_DOUBLE_EQ(lr->LrAt(0), 0.4);
  EXPECT_DOUBLE_EQ(lr->LrAt(2), 0.8);
  EXPECT_DOUBLE_EQ(lr->LrAt(11), 0.8);   // 9 steps after warmup
  EXPECT_DOUBLE_EQ(lr->LrAt(12), 0.4);   // first milestone
  EXPECT_DOUBLE_EQ(lr->LrAt(31), 0.4);
  EXPECT_DOUBLE_EQ(lr->LrAt(32), 0.2);   // second milestone
  EXPECT_DOUBLE_EQ(lr->LrAt(99), 0.2);   // last step
}

TEST(LrScheduleTest, PolynomialAndConstant) {
  LrScheduleSpec spec = Spec("poly", 1.0, 0, 10, 0.0);
  spec.power = 2.0;
  auto poly = Make(spec);
  EXPECT_DOUBLE_EQ(poly->LrAt(0), 1.0);
  EXPECT_NEAR(poly->LrAt(5), 0.25, 1e-15);
  EXPECT_NEAR(poly->LrAt(9), 0.01, 1e-15);
  EXPECT_DOUBLE_EQ(poly->LrAt(10), 0.0);
  auto constant = Make(Spec("constant", 0.3, 3, 10, 0.0));
  EXPECT_DOUBLE_EQ(constant->LrAt(1), 0.2);
  EXPECT_DOUBLE_EQ(constant->LrAt(3), 0.3);
  EXPECT_DOUBLE_EQ(constant->LrAt(9), 0.3);
}

TEST(LrScheduleTest, RejectsBadSpecsByName) {
  auto message = [](LrScheduleSpec spec) { return std::string(MakeLrSchedule(spec).status().message()); };
  EXPECT_EQ(message(Spec("linear", 0.1, 0, 10, 0.0)),
            "--lr_schedule=linear is not a schedule; choose one of: constant, cosine, step, poly, onecycle");
  EXPECT_EQ(message(Spec("step", 0.1, 0, 10, 0.0)), "--lr_schedule=step needs --lr_milestones");
  EXPECT_EQ(message(Spec("cosine", 0.1, 11, 10, 0.0)), "warmup of 11 steps does not fit a run of 10 steps");
  EXPECT_FALSE(MakeLrSchedule(Spec("cosine", 0.0, 0, 10, 0.0)).ok());
  EXPECT_FALSE(MakeLrSchedule(Spec("cosine", 0.1, 0, 10, 0.2)).ok());
  EXPECT_FALSE(MakeLrSchedule(Spec("cosine", NAN, 0, 10, 0.0)).ok());
  LrScheduleSpec unordered = Spec("step", 0.1, 0, 10, 0.0);
  unordered.milestones = {5, 3};
  EXPECT_EQ(message(unordered), "--lr_milestones must be positive and strictly increasing");
  LrScheduleSpec gamma = Spec("step", 0.1, 0, 10, 0.0);
  gamma.milestones = {5};
  gamma.gamma = 1.5;
  EXPECT_EQ(message(gamma), "--lr_gamma=1.5 must lie in (0, 1]");
}

TEST(LrScheduleTest, OneCycleAnnealsLrUpThenDownAndMomentumTheOtherWay) {
  LrScheduleSpec spec = Spec("onecycle", 1.0, 10, 110, 0.0);  // fastai defaults: div 25, final div 1e5, 0.85-0.95
  auto schedule = Make(spec);
  ASSERT_NE(schedule, nullptr);
  EXPECT_DOUBLE_EQ(schedule->LrAt(0), 0.04);
  EXPECT_DOUBLE_EQ(*schedule->MomentumAt(0), 0.95);
  EXPECT_DOUBLE_EQ(schedule->LrAt(5), 0.52);  // halfway up the first cosine
  EXPECT_DOUBLE_EQ(*schedule->MomentumAt(5), 0.90);
  EXPECT_DOUBLE_EQ(schedule->LrAt(10), 1.0);  // warmup end: the peak, the lowest momentum
  EXPECT_DOUBLE_EQ(*schedule->MomentumAt(10), 0.85);
  EXPECT_DOUBLE_EQ(schedule->LrAt(60), 0.500005);  // halfway down to peak / 1e5
  EXPECT_DOUBLE_EQ(*schedule->MomentumAt(60), 0.90);
  EXPECT_DOUBLE_EQ(schedule->LrAt(109), 1.0 + (1e-5 - 1.0) * 0.5 * (1.0 - std::cos(M_PI * 0.99)));  // last step
  EXPECT_FALSE(Make(Spec("cosine", 1.0, 10, 110, 0.0))->MomentumAt(5).has_value());

  spec.warmup_steps = 0;
  EXPECT_EQ(MakeLrSchedule(spec).status().message(),
            "--lr_schedule=onecycle needs a warmup of 1 to 109 steps (--onecycle_pct_start x steps), got 0");
  spec.warmup_steps = 10;
  spec.onecycle_min_momentum = 0.99;
  EXPECT_EQ(MakeLrSchedule(spec).status().message(),
            "--onecycle_min_momentum=0.99 and --onecycle_max_momentum=0.95 must satisfy 0 <= min <= max < 1");
}

}  // namespace
}  // namespace strobe
