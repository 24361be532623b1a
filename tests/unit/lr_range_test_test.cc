#include "worker/lr_range_test.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strobe {
namespace {

TEST(LrRangeTest, LrGrowsExponentiallyFromMinToMax) {
  LrRangeOptions options;
  options.min_lr = 1e-4;
  options.max_lr = 1.0;
  options.steps = 5;
  EXPECT_DOUBLE_EQ(LrRangeLr(options, 0), 1e-4);
  EXPECT_DOUBLE_EQ(LrRangeLr(options, 1), 1e-3);
  EXPECT_DOUBLE_EQ(LrRangeLr(options, 4), 1.0);
}

TEST(LrRangeTest, FindsTheMinimumTheSteepestDropAndStopsAtDivergence) {
  LrRangeOptions options;
  options.min_lr = 1e-5;
  options.max_lr = 1e1;
  options.steps = 7;  // one point per decade
  options.smoothing = 0.0;  // raw losses, so the expectations are exact
  // Loss falls, fastest between 1e-4 and 1e-2, bottoms out at 1e-2, then blows up.
  const double losses[] = {2.3, 2.2, 1.5, 0.6, 0.8, 3.0, 9.0};
  std::vector<std::pair<double, double>> points;
  for (int i = 0; i < 7; ++i) points.emplace_back(LrRangeLr(options, i), losses[i]);
  LrRangeResult result = AnalyzeLrRange(points, options);
  EXPECT_TRUE(result.diverged);  // 3.0 > 4 x the minimum 0.6: stops there
  ASSERT_EQ(result.points.size(), 5u);
  EXPECT_DOUBLE_EQ(result.minimum_lr, 1e-2);
  EXPECT_DOUBLE_EQ(result.suggested_lr, 1e-3);
  EXPECT_DOUBLE_EQ(result.steepest_lr, 1e-3);  // centred slope (0.6 - 2.2) / 2 decades is the steepest

  points[3].second = NAN;  // a non-finite loss also ends the test
  EXPECT_EQ(AnalyzeLrRange(points, options).points.size(), 3u);
}

TEST(LrRangeTest, RejectsBadOptionsByFlag) {
  LrRangeOptions options;
  options.min_lr = 1.0;
  options.max_lr = 0.1;
  EXPECT_EQ(ValidateLrRangeOptions(options).message(),
            "--lr_find_min=1 and --lr_find_max=0.1 must satisfy 0 < min < max");
  options = LrRangeOptions{};
  options.steps = 2;
  EXPECT_EQ(ValidateLrRangeOptions(options).message(), "--lr_find_steps must be >= 3, got 2");
}

}  // namespace
}  // namespace strobe
