#include "coordinator/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strobe {
namespace {

TEST(LrScheduleTest, LinearScalingRule) {
  EXPECT_DOUBLE_EQ(LinearScaledLr(0.1, 256, 256), 0.1);
  EXPECT_DOUBLE_EQ(LinearScaledLr(0.1, 8192, 256), 3.2);  // Goyal et al. 2017
  EXPECT_DOUBLE_EQ(LinearScaledLr(0.1, 128, 256), 0.05);
}

TEST(LrScheduleTest, WarmupThenCosineAtBoundaries) {
  auto schedule = WarmupCosineSchedule::Create({/*peak_lr=*/0.4, /*warmup_steps=*/4, /*total_steps=*/104,
                                                /*final_lr=*/0.0});
  ASSERT_TRUE(schedule.ok()) << schedule.status();
  const LrSchedule& lr = **schedule;
  EXPECT_DOUBLE_EQ(lr.LrAt(0), 0.1);
  EXPECT_DOUBLE_EQ(lr.LrAt(3), 0.4);  // end of warmup reaches the peak
  EXPECT_DOUBLE_EQ(lr.LrAt(4), 0.4);  // cosine starts at the peak
  EXPECT_NEAR(lr.LrAt(54), 0.2, 1e-15);  // halfway through the decay
  EXPECT_NEAR(lr.LrAt(29), 0.4 * 0.5 * (1 + std::cos(M_PI * 0.25)), 1e-15);
  EXPECT_NEAR(lr.LrAt(103), 0.4 * 0.5 * (1 + std::cos(M_PI * 0.99)), 1e-15);  // last step
  EXPECT_DOUBLE_EQ(lr.LrAt(104), 0.0);
  EXPECT_DOUBLE_EQ(lr.LrAt(1000), 0.0);  // stays at the floor past the end
}

TEST(LrScheduleTest, FloorAndNoWarmup) {
  auto schedule = WarmupCosineSchedule::Create({1.0, 0, 10, 0.1});
  ASSERT_TRUE(schedule.ok());
  EXPECT_DOUBLE_EQ((*schedule)->LrAt(0), 1.0);
  EXPECT_NEAR((*schedule)->LrAt(5), 0.55, 1e-15);
  EXPECT_DOUBLE_EQ((*schedule)->LrAt(10), 0.1);
}

TEST(LrScheduleTest, RejectsInconsistentOptions) {
  EXPECT_FALSE(WarmupCosineSchedule::Create({0.0, 0, 10, 0.0}).ok());
  EXPECT_FALSE(WarmupCosineSchedule::Create({0.1, 11, 10, 0.0}).ok());
  EXPECT_FALSE(WarmupCosineSchedule::Create({0.1, 0, 10, 0.2}).ok());
  EXPECT_FALSE(WarmupCosineSchedule::Create({NAN, 0, 10, 0.0}).ok());
}

}  // namespace
}  // namespace strobe
