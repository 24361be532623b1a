#include "coordinator/lr_controller.h"

#include <cmath>
#include <utility>

namespace strobe {

LrController::LrController(std::unique_ptr<LrSchedule> schedule, std::optional<PlateauOptions> plateau,
                           std::optional<AdaScale> adascale)
    : schedule_(std::move(schedule)), adascale_(std::move(adascale)) {
  if (plateau.has_value()) plateau_.emplace(*plateau);
}

int64_t LrController::ScheduleStep(int64_t step) const {
  return adascale_.has_value() ? static_cast<int64_t>(std::floor(adascale_->progress())) : step;
}

double LrController::LrAt(int64_t step) const {
  const double scale = plateau_.has_value() ? plateau_->scale() : 1.0;
  const double gain = adascale_.has_value() ? adascale_->gain() : 1.0;
  return override_.Apply(gain * schedule_->LrAt(ScheduleStep(step)) * scale);
}

void LrController::ObserveGradients(const GradientStatistics& statistics) {
  if (adascale_.has_value()) adascale_->Observe(statistics);
}

bool LrController::Observe(PlateauMetric metric, double value) {
  if (!plateau_.has_value() || plateau_->options().metric != metric) return false;
  return plateau_->Observe(value);
}

LrControllerState LrController::state() const {
  LrControllerState state;
  if (plateau_.has_value()) state.plateau = plateau_->state();
  state.override = override_;
  if (adascale_.has_value()) state.adascale = adascale_->state();
  return state;
}

ControllerState LrController::SaveState() const {
  const LrControllerState current = state();
  ControllerState saved;
  saved.Save(current.plateau);
  current.override.SaveTo(saved);
  saved.Save(current.adascale);
  return saved;
}

absl::Status LrController::RestoreState(const ControllerState& saved) {
  LrControllerState restored;
  if (!saved.Load(restored.plateau) || !restored.override.LoadFrom(saved) || !saved.Load(restored.adascale)) {
    return absl::DataLossError("the LR-controller state is incomplete");
  }
  Restore(restored);
  return absl::OkStatus();
}

void LrController::Restore(const LrControllerState& state) {
  if (plateau_.has_value()) plateau_->Restore(state.plateau);
  override_ = state.override;
  if (adascale_.has_value()) adascale_->Restore(state.adascale);
}

}  // namespace strobe
