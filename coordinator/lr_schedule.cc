#include "coordinator/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace strobe {

double LinearScaledLr(double base_lr, int64_t global_batch, int64_t reference_batch) {
  return base_lr * static_cast<double>(global_batch) / static_cast<double>(reference_batch);
}

absl::StatusOr<std::unique_ptr<WarmupCosineSchedule>> WarmupCosineSchedule::Create(
    const WarmupCosineOptions& options) {
  if (!(options.peak_lr > 0) || !std::isfinite(options.peak_lr)) {
    return absl::InvalidArgumentError(absl::StrFormat("the peak learning rate must be positive, got %g",
                                                      options.peak_lr));
  }
  if (options.final_lr < 0 || options.final_lr > options.peak_lr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--final_lr=%g must lie in [0, peak learning rate %g]", options.final_lr, options.peak_lr));
  }
  if (options.total_steps <= 0 || options.warmup_steps < 0 || options.warmup_steps > options.total_steps) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "warmup of %d steps does not fit a run of %d steps", options.warmup_steps, options.total_steps));
  }
  return std::unique_ptr<WarmupCosineSchedule>(new WarmupCosineSchedule(options));
}

double WarmupCosineSchedule::LrAt(int64_t step) const {
  const WarmupCosineOptions& o = options_;
  if (step < o.warmup_steps) return o.peak_lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  const int64_t decay_steps = std::max<int64_t>(1, o.total_steps - o.warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / decay_steps);
  return o.final_lr + (o.peak_lr - o.final_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace strobe
