#ifndef STROBE_COORDINATOR_ADASCALE_H_
#define STROBE_COORDINATOR_ADASCALE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ops/gradient_statistics.h"

namespace strobe {

struct AdaScaleState {
  double progress = 0.0;  // tau: how far the single-rank schedule has advanced, in single-rank steps
  double gain = 1.0;      // r of the last observation, used for the next step
  double variance = 0.0;  // moving average of the estimated variance of one rank's gradient
  double squared_mean = 0.0;  // moving average of the estimated |true gradient|^2
  bool has_estimates = false;

  // The entries a checkpoint saves (coordinator/controller_state.h).
  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("adascale_progress", self.progress);
    visit("adascale_gain", self.gain);
    visit("adascale_variance", self.variance);
    visit("adascale_squared_mean", self.squared_mean);
    visit("adascale_has_estimates", self.has_estimates);
  }
};

// AdaScale (Johnson et al. 2020): a data-parallel step over S ranks averages S rank-sized gradients, which is worth
// between 1 and S rank-sized steps depending on how noisy the gradient is. With sigma^2 the variance of one rank's
// gradient and mu^2 the squared norm of the true gradient, estimated without bias from the ranks' gradients:
//   sigma^2 = S/(S-1) (mean_i |g_i|^2 - |g|^2),   mu^2 = |g|^2 - sigma^2 / S,
// (both smoothed by an exponential moving average), the gain is
//   r = (sigma^2 + mu^2) / (sigma^2 / S + mu^2),  in [1, S],
// the step uses LR r x schedule(tau) and the schedule advances by r: tau += r. Noise-dominated gradients give r ~ S
// (the linear scaling rule); clean ones r ~ 1. The LR for step t is decided before its gradient exists, so it uses
// the gain of the statistics up to step t - 1. With S = 1 nothing can be estimated and r = 1.
class AdaScale {
 public:
  AdaScale(int scale, double smoothing) : scale_(scale), smoothing_(smoothing) {}

  void Observe(const GradientStatistics& statistics);

  double gain() const { return state_.gain; }
  double progress() const { return state_.progress; }
  const AdaScaleState& state() const { return state_; }
  void Restore(const AdaScaleState& state) { state_ = state; }

 private:
  int scale_;
  double smoothing_;
  AdaScaleState state_;
};

absl::Status ValidateAdaScaleSmoothing(double smoothing);

}  // namespace strobe

#endif  // STROBE_COORDINATOR_ADASCALE_H_
