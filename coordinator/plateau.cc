#include "coordinator/plateau.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace strobe {

absl::StatusOr<PlateauMetric> ParsePlateauMetric(const std::string& name) {
  if (name == "val_loss") return PlateauMetric::kValLoss;
  if (name == "val_accuracy") return PlateauMetric::kValAccuracy;
  if (name == "train_loss") return PlateauMetric::kTrainLoss;
  return absl::InvalidArgumentError(
      absl::StrFormat("--plateau_metric=%s is not one of val_loss, val_accuracy, train_loss", name));
}


absl::Status ValidatePlateauOptions(const PlateauOptions& o) {
  if (o.patience < 1) {
    return absl::InvalidArgumentError(absl::StrFormat("--plateau_patience must be >= 1, got %d", o.patience));
  }
  if (!(o.factor > 0 && o.factor < 1)) {
    return absl::InvalidArgumentError(absl::StrFormat("--plateau_factor=%g must lie in (0, 1)", o.factor));
  }
  if (o.cooldown < 0) {
    return absl::InvalidArgumentError(absl::StrFormat("--plateau_cooldown must be >= 0, got %d", o.cooldown));
  }
  if (!(o.threshold >= 0 && o.threshold < 1)) {
    return absl::InvalidArgumentError(absl::StrFormat("--plateau_threshold=%g must lie in [0, 1)", o.threshold));
  }
  if (!(o.min_scale >= 0 && o.min_scale <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--plateau_min_lr must lie in [0, peak LR]; as a fraction of the peak it is %g", o.min_scale));
  }
  return absl::OkStatus();
}

bool Plateau::Improves(double value) const {
  if (!state_.has_best) return true;
  const double margin = options_.threshold * std::abs(state_.best);
  return options_.metric == PlateauMetric::kValAccuracy ? value > state_.best + margin
                                                        : value < state_.best - margin;
}

bool Plateau::Observe(double value) {
  if (!std::isfinite(value)) return false;  // a diverged loss is reported by the trainer, not smoothed over here
  if (Improves(value)) {
    state_.best = value;
    state_.has_best = true;
    state_.bad_observations = 0;
  } else {
    ++state_.bad_observations;
  }
  if (state_.cooldown_left > 0) {
    --state_.cooldown_left;
    state_.bad_observations = 0;
  }
  if (state_.bad_observations < options_.patience) return false;
  const double reduced = std::max(state_.scale * options_.factor, options_.min_scale);
  state_.cooldown_left = options_.cooldown;
  state_.bad_observations = 0;
  if (reduced >= state_.scale) return false;
  state_.scale = reduced;
  ++state_.reductions;
  return true;
}

}  // namespace strobe
