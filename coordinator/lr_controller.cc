#include "coordinator/lr_controller.h"

#include <utility>

namespace strobe {

LrController::LrController(std::unique_ptr<LrSchedule> schedule, std::optional<PlateauOptions> plateau)
    : schedule_(std::move(schedule)) {
  if (plateau.has_value()) plateau_.emplace(*plateau);
}

double LrController::LrAt(int64_t step) const {
  const double scale = plateau_.has_value() ? plateau_->scale() : 1.0;
  return override_.Apply(schedule_->LrAt(step) * scale);
}

bool LrController::Observe(PlateauMetric metric, double value) {
  if (!plateau_.has_value() || plateau_->options().metric != metric) return false;
  return plateau_->Observe(value);
}

LrControllerState LrController::state() const {
  LrControllerState state;
  if (plateau_.has_value()) state.plateau = plateau_->state();
  state.override = override_;
  return state;
}

void LrController::Restore(const LrControllerState& state) {
  if (plateau_.has_value()) plateau_->Restore(state.plateau);
  override_ = state.override;
}

}  // namespace strobe
