#ifndef STROBE_COORDINATOR_PLATEAU_H_
#define STROBE_COORDINATOR_PLATEAU_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace strobe {

// Which global metric a plateau schedule watches. Each is the same on every rank by construction: the validation
// metrics come from the exact distributed evaluation, the training loss is all-reduced before anyone sees it.
enum class PlateauMetric { kValLoss, kValAccuracy, kTrainLoss };

absl::StatusOr<PlateauMetric> ParsePlateauMetric(const std::string& name);

// Reduce-on-plateau: an observation improves when it beats the best so far by more than `threshold` x |best|
// (lower for losses, higher for accuracy; PyTorch's ReduceLROnPlateau 'rel' mode). At the `patience`-th observation
// in a row without improvement the LR scale is multiplied by `factor` (not below `min_scale`), and the next
// `cooldown` observations are not counted. Unlike PyTorch, whose patience counts the stalls it tolerates, patience
// here counts the stalls that trigger: PyTorch's patience=p is patience=p+1 here.
struct PlateauOptions {
  PlateauMetric metric = PlateauMetric::kValLoss;
  int64_t patience = 5;  // >= 1
  double factor = 0.1;
  int64_t cooldown = 0;
  double threshold = 1e-4;
  double min_scale = 0.0;  // the plateau never scales the schedule below this fraction
};

// Everything a resumed run needs to continue the same decisions (saved in checkpoints).
struct PlateauState {
  double best = 0.0;
  bool has_best = false;
  int64_t bad_observations = 0;
  int64_t cooldown_left = 0;
  double scale = 1.0;
  int64_t reductions = 0;

  // The entries a checkpoint saves (coordinator/controller_state.h).
  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("plateau_best", self.best);
    visit("plateau_has_best", self.has_best);
    visit("plateau_bad_observations", self.bad_observations);
    visit("plateau_cooldown_left", self.cooldown_left);
    visit("plateau_scale", self.scale);
    visit("plateau_reductions", self.reductions);
  }
};

absl::Status ValidatePlateauOptions(const PlateauOptions& options);

class Plateau {
 public:
  explicit Plateau(const PlateauOptions& options) : options_(options) {}

  // Feeds one global observation of options().metric; returns true when it reduced the scale.
  bool Observe(double value);

  double scale() const { return state_.scale; }
  const PlateauOptions& options() const { return options_; }
  const PlateauState& state() const { return state_; }
  void Restore(const PlateauState& state) { state_ = state; }

 private:
  bool Improves(double value) const;

  PlateauOptions options_;
  PlateauState state_;
};

}  // namespace strobe

#endif  // STROBE_COORDINATOR_PLATEAU_H_
