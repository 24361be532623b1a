#include "coordinator/adascale.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace strobe {

absl::Status ValidateAdaScaleSmoothing(double smoothing) {
  if (smoothing >= 0 && smoothing < 1) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat("--adascale_smoothing=%g must lie in [0, 1)", smoothing));
}

void AdaScale::Observe(const GradientStatistics& statistics) {
  state_.progress += state_.gain;  // the step just taken used this gain
  if (scale_ < 2 || !std::isfinite(statistics.mean_local_squared_norm) ||
      !std::isfinite(statistics.averaged_squared_norm)) {
    return;
  }
  const double s = scale_;
  const double variance =
      std::max(0.0, s / (s - 1.0) * (statistics.mean_local_squared_norm - statistics.averaged_squared_norm));
  const double squared_mean = std::max(0.0, statistics.averaged_squared_norm - variance / s);
  if (state_.has_estimates) {
    state_.variance = smoothing_ * state_.variance + (1.0 - smoothing_) * variance;
    state_.squared_mean = smoothing_ * state_.squared_mean + (1.0 - smoothing_) * squared_mean;
  } else {
    state_.variance = variance;
    state_.squared_mean = squared_mean;
    state_.has_estimates = true;
  }
  const double numerator = state_.variance + state_.squared_mean;
  const double denominator = state_.variance / s + state_.squared_mean;
  state_.gain = denominator > 0 ? std::clamp(numerator / denominator, 1.0, s) : 1.0;
}

}  // namespace strobe
