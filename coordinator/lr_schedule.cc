#include "coordinator/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "absl/strings/str_format.h"

namespace strobe {
namespace {

// Linear warmup in front of a decay function of the steps since warmup ended.
class WarmupThenDecay final : public LrSchedule {
 public:
  WarmupThenDecay(double peak_lr, int64_t warmup_steps, std::function<double(int64_t)> decay)
      : peak_lr_(peak_lr), warmup_steps_(warmup_steps), decay_(std::move(decay)) {}

  double LrAt(int64_t step) const override {
    if (step < warmup_steps_) {
      return peak_lr_ * static_cast<double>(step + 1) / static_cast<double>(warmup_steps_);
    }
    return decay_(step - warmup_steps_);
  }

 private:
  double peak_lr_;
  int64_t warmup_steps_;
  std::function<double(int64_t)> decay_;
};

// anneal(a, b, p): a at p = 0, b at p = 1, along half a cosine (fastai's SchedCos).
double Anneal(double from, double to, double progress) {
  return from + (to - from) * 0.5 * (1.0 - std::cos(M_PI * std::min(1.0, progress)));
}

class OneCycle final : public LrSchedule {
 public:
  explicit OneCycle(const LrScheduleSpec& spec) : spec_(spec) {}

  double LrAt(int64_t step) const override {
    const double peak = spec_.peak_lr;
    if (step < spec_.warmup_steps) return Anneal(peak / spec_.onecycle_div, peak, WarmupProgress(step));
    return Anneal(peak, peak / spec_.onecycle_final_div, DecayProgress(step));
  }

  std::optional<double> MomentumAt(int64_t step) const override {
    if (step < spec_.warmup_steps) {
      return Anneal(spec_.onecycle_max_momentum, spec_.onecycle_min_momentum, WarmupProgress(step));
    }
    return Anneal(spec_.onecycle_min_momentum, spec_.onecycle_max_momentum, DecayProgress(step));
  }

 private:
  double WarmupProgress(int64_t step) const {
    return static_cast<double>(step) / static_cast<double>(spec_.warmup_steps);
  }
  double DecayProgress(int64_t step) const {
    return static_cast<double>(step - spec_.warmup_steps) /
           static_cast<double>(std::max<int64_t>(1, spec_.total_steps - spec_.warmup_steps));
  }

  LrScheduleSpec spec_;
};

absl::Status ValidateOneCycle(const LrScheduleSpec& s) {
  if (s.warmup_steps < 1 || s.warmup_steps >= s.total_steps) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--lr_schedule=onecycle needs a warmup of 1 to %d steps (--onecycle_pct_start x steps), got %d",
        s.total_steps - 1, s.warmup_steps));
  }
  if (!(s.onecycle_div >= 1) || !(s.onecycle_final_div >= 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--onecycle_div=%g and --onecycle_final_div=%g must be >= 1", s.onecycle_div, s.onecycle_final_div));
  }
  if (!(s.onecycle_min_momentum >= 0 && s.onecycle_min_momentum <= s.onecycle_max_momentum &&
        s.onecycle_max_momentum < 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--onecycle_min_momentum=%g and --onecycle_max_momentum=%g must satisfy 0 <= min <= max < 1",
        s.onecycle_min_momentum,
        s.onecycle_max_momentum));
  }
  return absl::OkStatus();
}

absl::Status ValidateSpec(const LrScheduleSpec& s) {
  if (!(s.peak_lr > 0) || !std::isfinite(s.peak_lr)) {
    return absl::InvalidArgumentError(absl::StrFormat("the peak learning rate must be positive, got %g", s.peak_lr));
  }
  if (s.final_lr < 0 || s.final_lr > s.peak_lr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--final_lr=%g must lie in [0, peak learning rate %g]", s.final_lr, s.peak_lr));
  }
  if (s.total_steps <= 0 || s.warmup_steps < 0 || s.warmup_steps > s.total_steps) {
    return absl::InvalidArgumentError(
        absl::StrFormat("warmup of %d steps does not fit a run of %d steps", s.warmup_steps, s.total_steps));
  }
  if (!(s.gamma > 0 && s.gamma <= 1)) {
    return absl::InvalidArgumentError(absl::StrFormat("--lr_gamma=%g must lie in (0, 1]", s.gamma));
  }
  if (!(s.power > 0) || !std::isfinite(s.power)) {
    return absl::InvalidArgumentError(absl::StrFormat("--lr_power=%g must be positive", s.power));
  }
  for (size_t i = 0; i < s.milestones.size(); ++i) {
    if (s.milestones[i] <= 0 || (i > 0 && s.milestones[i] <= s.milestones[i - 1])) {
      return absl::InvalidArgumentError("--lr_milestones must be positive and strictly increasing");
    }
  }
  if (s.kind == "step" && s.milestones.empty()) {
    return absl::InvalidArgumentError("--lr_schedule=step needs --lr_milestones");
  }
  return absl::OkStatus();
}

}  // namespace

double LinearScaledLr(double base_lr, int64_t global_batch, int64_t reference_batch) {
  return base_lr * static_cast<double>(global_batch) / static_cast<double>(reference_batch);
}

absl::StatusOr<std::unique_ptr<LrSchedule>> MakeLrSchedule(const LrScheduleSpec& spec) {
  if (absl::Status valid = ValidateSpec(spec); !valid.ok()) return valid;
  if (spec.kind == "onecycle") {
    if (absl::Status valid = ValidateOneCycle(spec); !valid.ok()) return valid;
    return std::unique_ptr<LrSchedule>(new OneCycle(spec));
  }
  const double peak = spec.peak_lr;
  const double floor = spec.final_lr;
  const double decay_steps = static_cast<double>(std::max<int64_t>(1, spec.total_steps - spec.warmup_steps));
  std::function<double(int64_t)> decay;
  if (spec.kind == "constant") {
    decay = [peak](int64_t) { return peak; };
  } else if (spec.kind == "cosine") {
    decay = [=](int64_t d) {
      const double progress = std::min(1.0, static_cast<double>(d) / decay_steps);
      return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
    };
  } else if (spec.kind == "step") {
    decay = [peak, gamma = spec.gamma, milestones = spec.milestones](int64_t d) {
      const auto passed = std::upper_bound(milestones.begin(), milestones.end(), d) - milestones.begin();
      return peak * std::pow(gamma, static_cast<double>(passed));
    };
  } else if (spec.kind == "poly") {
    decay = [=, power = spec.power](int64_t d) {
      const double remaining = std::max(0.0, 1.0 - static_cast<double>(d) / decay_steps);
      return floor + (peak - floor) * std::pow(remaining, power);
    };
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--lr_schedule=%s is not a schedule; choose one of: constant, cosine, step, poly, onecycle", spec.kind));
  }
  return std::unique_ptr<LrSchedule>(new WarmupThenDecay(peak, spec.warmup_steps, std::move(decay)));
}

}  // namespace strobe
