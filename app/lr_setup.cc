#include "app/lr_setup.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "coordinator/lr_schedule.h"

namespace strobe {
namespace {

// The peak LR for a step over `batch` samples.
double PeakLr(const TrainConfig& config, int64_t batch) {
  return config.scale_lr ? LinearScaledLr(config.base_lr, batch, config.reference_batch) : config.base_lr;
}

absl::StatusOr<std::unique_ptr<LrSchedule>> MakeSchedule(const TrainConfig& config, int64_t steps_per_epoch,
                                                         double peak_lr) {
  auto epochs_to_steps = [&](double epochs) {
    return static_cast<int64_t>(std::llround(epochs * static_cast<double>(steps_per_epoch)));
  };
  LrScheduleSpec spec;
  spec.kind = config.lr_schedule;
  spec.peak_lr = peak_lr;
  spec.total_steps = steps_per_epoch * config.epochs;
  spec.warmup_steps = std::min(spec.total_steps, config.warmup_steps >= 0 ? config.warmup_steps
                                                                          : epochs_to_steps(config.warmup_epochs));
  if (config.lr_schedule == "onecycle") {
    spec.warmup_steps = std::llround(config.onecycle_pct_start * static_cast<double>(spec.total_steps));
  }
  spec.onecycle_div = config.onecycle_div;
  spec.onecycle_final_div = config.onecycle_final_div;
  spec.onecycle_min_momentum = config.onecycle_min_momentum;
  spec.onecycle_max_momentum = config.onecycle_max_momentum;
  spec.final_lr = std::min(config.final_lr, spec.peak_lr);
  for (double epochs : config.lr_milestones) spec.milestones.push_back(epochs_to_steps(epochs));
  spec.gamma = config.lr_gamma;
  spec.power = config.lr_power;
  return MakeLrSchedule(spec);
}

}  // namespace

absl::StatusOr<LrController> MakeLrController(const TrainConfig& config, int64_t steps_per_epoch, int world_size) {
  const bool adascale = config.lr_adascale;
  const double peak_lr = PeakLr(config, adascale ? config.global_batch / world_size : config.global_batch);
  absl::StatusOr<std::unique_ptr<LrSchedule>> schedule =
      MakeSchedule(config, adascale ? steps_per_epoch * world_size : steps_per_epoch, peak_lr);
  if (!schedule.ok()) return schedule.status();
  std::optional<PlateauOptions> plateau;
  if (!config.plateau_metric.empty()) {
    absl::StatusOr<PlateauMetric> metric = ParsePlateauMetric(config.plateau_metric);
    if (!metric.ok()) return metric.status();
    plateau = PlateauOptions{*metric,          config.plateau_patience,  config.plateau_factor,
                             config.plateau_cooldown, config.plateau_threshold, config.plateau_min_lr / peak_lr};
    if (absl::Status valid = ValidatePlateauOptions(*plateau); !valid.ok()) return valid;
  }
  std::optional<AdaScale> gradient_scaling;
  if (adascale) {
    if (absl::Status valid = ValidateAdaScaleSmoothing(config.adascale_smoothing); !valid.ok()) return valid;
    gradient_scaling.emplace(world_size, config.adascale_smoothing);
  }
  return LrController(*std::move(schedule), plateau, std::move(gradient_scaling));
}

}  // namespace strobe
