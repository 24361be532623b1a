#include "coordinator/adascale.h"

#include <gtest/gtest.h>

#include <memory>

#include "coordinator/lr_controller.h"

namespace strobe {
namespace {

// Statistics of S rank gradients whose true gradient has squared norm mu2 and whose per-rank noise has variance
// sigma2, in expectation: E|g_i|^2 = mu2 + sigma2, E|mean g|^2 = mu2 + sigma2 / S.
GradientStatistics Expected(double mu2, double sigma2, int scale) {
  return GradientStatistics{mu2 + sigma2, mu2 + sigma2 / scale};
}

TEST(AdaScaleTest, GainIsOneForCleanGradientsAndTheScaleForPureNoise) {
  AdaScale clean(4, 0.0);
  clean.Observe(Expected(/*mu2=*/1.0, /*sigma2=*/0.0, 4));
  EXPECT_DOUBLE_EQ(clean.gain(), 1.0);
  AdaScale noise(4, 0.0);
  noise.Observe(Expected(0.0, 1.0, 4));
  EXPECT_DOUBLE_EQ(noise.gain(), 4.0);
  AdaScale mixed(4, 0.0);
  mixed.Observe(Expected(1.0, 1.0, 4));
  EXPECT_DOUBLE_EQ(mixed.gain(), 2.0 / 1.25);  // (sigma2 + mu2) / (sigma2 / S + mu2)
  EXPECT_DOUBLE_EQ(mixed.state().variance, 1.0);
  EXPECT_DOUBLE_EQ(mixed.state().squared_mean, 1.0);
}

TEST(AdaScaleTest, ProgressAdvancesByTheGainEachStepWasTakenWith) {
  AdaScale adascale(4, 0.0);
  EXPECT_EQ(adascale.progress(), 0.0);
  adascale.Observe(Expected(1.0, 1.0, 4));  // step 0 ran with gain 1
  EXPECT_DOUBLE_EQ(adascale.progress(), 1.0);
  adascale.Observe(Expected(1.0, 1.0, 4));  // step 1 ran with gain 1.6
  EXPECT_DOUBLE_EQ(adascale.progress(), 2.6);
}

TEST(AdaScaleTest, MovingAverageAndOneRank) {
  AdaScale smoothed(2, 0.5);
  smoothed.Observe(Expected(1.0, 0.0, 2));  // first observation initialises: variance 0
  smoothed.Observe(Expected(1.0, 2.0, 2));  // variance estimate 2, averaged: 1
  EXPECT_DOUBLE_EQ(smoothed.state().variance, 1.0);
  EXPECT_DOUBLE_EQ(smoothed.state().squared_mean, 1.0);
  EXPECT_DOUBLE_EQ(smoothed.gain(), 2.0 / 1.5);

  AdaScale alone(1, 0.5);  // nothing to estimate a variance from
  alone.Observe(GradientStatistics{3.0, 3.0});
  EXPECT_EQ(alone.gain(), 1.0);
  EXPECT_EQ(alone.progress(), 1.0);
  EXPECT_EQ(ValidateAdaScaleSmoothing(1.0).message(), "--adascale_smoothing=1 must lie in [0, 1)");
}

class LinearSchedule : public LrSchedule {
 public:
  double LrAt(int64_t step) const override { return 1.0 / (1.0 + step); }
};

TEST(AdaScaleTest, ControllerScalesTheScheduleAtItsProgressAndRestores) {
  LrController controller(std::make_unique<LinearSchedule>(), std::nullopt, AdaScale(4, 0.0));
  EXPECT_TRUE(controller.uses_gradient_statistics());
  EXPECT_EQ(controller.LrAt(0), 1.0);
  controller.ObserveGradients(Expected(0.0, 1.0, 4));  // pure noise: gain 4, progress 1
  EXPECT_EQ(controller.LrAt(1), 4.0 * 0.5);
  controller.ObserveGradients(Expected(0.0, 1.0, 4));  // progress 5
  EXPECT_EQ(controller.LrAt(2), 4.0 / 6.0);

  LrController resumed(std::make_unique<LinearSchedule>(), std::nullopt, AdaScale(4, 0.0));
  resumed.Restore(controller.state());
  EXPECT_EQ(resumed.LrAt(2), controller.LrAt(2));
}

}  // namespace
}  // namespace strobe
