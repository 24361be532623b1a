#include "coordinator/lr_options.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "coordinator/lr_schedule.h"
#include "ops/option_checks.h"

namespace strobe {
namespace {

// The peak LR for a step over `batch` samples.
double PeakLr(const LrOptions& options, int64_t batch) {
  return options.scale_lr ? LinearScaledLr(options.base_lr, batch, options.reference_batch) : options.base_lr;
}

absl::StatusOr<std::unique_ptr<LrSchedule>> MakeSchedule(const LrOptions& options, int64_t steps_per_epoch,
                                                         int64_t epochs, double peak_lr) {
  auto epochs_to_steps = [&](double epoch_count) {
    return static_cast<int64_t>(std::llround(epoch_count * static_cast<double>(steps_per_epoch)));
  };
  LrScheduleSpec spec;
  spec.kind = options.schedule;
  spec.peak_lr = peak_lr;
  spec.total_steps = steps_per_epoch * epochs;
  spec.warmup_steps = std::min(spec.total_steps, options.warmup_steps >= 0 ? options.warmup_steps
                                                                           : epochs_to_steps(options.warmup_epochs));
  if (options.schedule == "onecycle") {
    spec.warmup_steps = std::llround(options.onecycle_pct_start * static_cast<double>(spec.total_steps));
  }
  spec.onecycle_div = options.onecycle_div;
  spec.onecycle_final_div = options.onecycle_final_div;
  spec.onecycle_min_momentum = options.onecycle_min_momentum;
  spec.onecycle_max_momentum = options.onecycle_max_momentum;
  spec.final_lr = std::min(options.final_lr, spec.peak_lr);
  for (double epoch_count : options.milestones) spec.milestones.push_back(epochs_to_steps(epoch_count));
  spec.gamma = options.gamma;
  spec.power = options.power;
  return MakeLrSchedule(spec);
}

}  // namespace

absl::Status LrOptions::Validate() const {
  if (absl::Status ranges = FirstError(
          {CheckPositive("reference_batch", reference_batch), CheckInRange("lr", base_lr, 1e-12, 1e6, false),
           CheckInRange("final_lr", final_lr, 0, 1e6, false),
           CheckInRange("warmup_epochs", warmup_epochs, 0, 1e6, false),
           CheckInRange("onecycle_pct_start", onecycle_pct_start, 0, 1, true),
           ValidateAdaScaleSmoothing(adascale_smoothing)});
      !ranges.ok()) {
    return ranges;
  }
  if (schedule == "onecycle" && warmup_steps >= 0) {
    return absl::InvalidArgumentError(
        "--lr_schedule=onecycle rises to the peak over --onecycle_pct_start of the run; --warmup_steps does not apply");
  }
  if (!plateau_metric.empty()) {
    if (absl::StatusOr<PlateauMetric> metric = ParsePlateauMetric(plateau_metric); !metric.ok()) {
      return metric.status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LrController> MakeLrController(const LrOptions& options, const LrRunShape& run) {
  const bool adascale = options.adascale;
  const double peak_lr = PeakLr(options, adascale ? run.global_batch / run.world_size : run.global_batch);
  absl::StatusOr<std::unique_ptr<LrSchedule>> schedule =
      MakeSchedule(options, adascale ? run.steps_per_epoch * run.world_size : run.steps_per_epoch, run.epochs, peak_lr);
  if (!schedule.ok()) return schedule.status();
  std::optional<PlateauOptions> plateau;
  if (!options.plateau_metric.empty()) {
    absl::StatusOr<PlateauMetric> metric = ParsePlateauMetric(options.plateau_metric);
    if (!metric.ok()) return metric.status();
    plateau = PlateauOptions{*metric,
                             options.plateau_patience,
                             options.plateau_factor,
                             options.plateau_cooldown,
                             options.plateau_threshold,
                             options.plateau_min_lr / peak_lr};
    if (absl::Status valid = ValidatePlateauOptions(*plateau); !valid.ok()) return valid;
  }
  std::optional<AdaScale> gradient_scaling;
  if (adascale) gradient_scaling.emplace(run.world_size, options.adascale_smoothing);
  return LrController(*std::move(schedule), plateau, std::move(gradient_scaling));
}

}  // namespace strobe
