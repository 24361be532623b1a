#include "worker/lr_range_test.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "absl/strings/str_format.h"
#include "coordinator/step_control.h"

namespace strobe {
namespace {

class ExponentialRange final : public LrSchedule {
 public:
  explicit ExponentialRange(const LrRangeOptions& options) : options_(options) {}
  double LrAt(int64_t step) const override { return LrRangeLr(options_, step); }

 private:
  LrRangeOptions options_;
};

// Smoothed losses stop counting as a divergence check until a few points exist (the first are noisy).
constexpr int64_t kWarmPoints = 5;

}  // namespace

absl::Status ValidateLrRangeOptions(const LrRangeOptions& o) {
  if (!(o.min_lr > 0 && o.max_lr > o.min_lr && std::isfinite(o.max_lr))) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--lr_find_min=%g and --lr_find_max=%g must satisfy 0 < min < max", o.min_lr, o.max_lr));
  }
  if (o.steps < 3) {
    return absl::InvalidArgumentError(absl::StrFormat("--lr_find_steps must be >= 3, got %d", o.steps));
  }
  if (!(o.divergence > 1)) {
    return absl::InvalidArgumentError(absl::StrFormat("--lr_find_divergence=%g must be > 1", o.divergence));
  }
  return absl::OkStatus();
}

double LrRangeLr(const LrRangeOptions& options, int64_t step) {
  const double progress = static_cast<double>(step) / static_cast<double>(options.steps - 1);
  return options.min_lr * std::pow(options.max_lr / options.min_lr, progress);
}

LrRangeResult AnalyzeLrRange(const std::vector<std::pair<double, double>>& lr_and_loss,
                             const LrRangeOptions& options) {
  LrRangeResult result;
  double average = 0.0;
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < lr_and_loss.size(); ++i) {
    const auto [lr, loss] = lr_and_loss[i];
    average = options.smoothing * average + (1.0 - options.smoothing) * loss;
    const double smoothed = average / (1.0 - std::pow(options.smoothing, static_cast<double>(i + 1)));
    if (!std::isfinite(loss) ||
        (static_cast<int64_t>(i) >= kWarmPoints && smoothed > options.divergence * best)) {
      result.diverged = true;
      break;
    }
    result.points.push_back(LrRangePoint{static_cast<int64_t>(i), lr, loss, smoothed});
    if (smoothed < best) {
      best = smoothed;
      result.minimum_lr = lr;
    }
  }
  double steepest_slope = std::numeric_limits<double>::infinity();
  for (size_t i = 1; i + 1 < result.points.size(); ++i) {
    const LrRangePoint& before = result.points[i - 1];
    const LrRangePoint& after = result.points[i + 1];
    const double slope = (after.smoothed_loss - before.smoothed_loss) / std::log10(after.lr / before.lr);
    if (slope < steepest_slope) {
      steepest_slope = slope;
      result.steepest_lr = result.points[i].lr;
    }
  }
  result.suggested_lr = result.minimum_lr / 10.0;
  return result;
}

absl::StatusOr<LrRangeResult> RunLrRangeTest(const TrainConfig& config, const TrainData& data,
                                             const TrainShardPlan& plan, Classifier& model,
                                             Communicator& communicator, const LrRangeOptions& options) {
  if (absl::Status valid = ValidateLrRangeOptions(options); !valid.ok()) return valid;
  // The run's own training, reported every step, long enough for every step of the range and saving nothing.
  TrainConfig range_config = config;
  range_config.run.log_every = 1;
  range_config.run.trace = false;
  range_config.run.epochs = (options.steps + plan.steps_per_epoch() - 1) / plan.steps_per_epoch();
  range_config.checkpoint.at_epoch_end = false;  // the coordinator below has no checkpoint cadence either
  StepCoordinator coordinator(communicator, LrController(std::make_unique<ExponentialRange>(options), std::nullopt),
                              CheckpointCadence{}, std::nullopt, model.parameters().front().device());

  std::vector<std::pair<double, double>> lr_and_loss;
  TrainHooks hooks;
  // Every rank holds the same global losses, so every rank ends at the same step.
  hooks.after_report = [&](const LossReport& report) {
    lr_and_loss.emplace_back(report.lr, report.global_loss);
    return static_cast<int64_t>(lr_and_loss.size()) < options.steps && !AnalyzeLrRange(lr_and_loss, options).diverged;
  };
  absl::StatusOr<TrainSummary> trained =
      RunTraining(range_config, data, plan, model, coordinator, communicator, /*reporter=*/nullptr, hooks);
  if (!trained.ok()) return trained.status();
  if (lr_and_loss.size() < 3) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "the loss diverged within %d steps, already at LR %g: lower --lr_find_min", lr_and_loss.size(),
        lr_and_loss.back().first));
  }
  return AnalyzeLrRange(lr_and_loss, options);
}

}  // namespace strobe
