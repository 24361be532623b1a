#ifndef STROBE_COORDINATOR_LR_CONTROLLER_H_
#define STROBE_COORDINATOR_LR_CONTROLLER_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "coordinator/control_file.h"
#include "coordinator/lr_schedule.h"
#include "coordinator/plateau.h"

namespace strobe {

// The dynamic part of the schedule, saved in checkpoints so a resumed run continues the same LR curve.
struct LrControllerState {
  PlateauState plateau;
  LrOverride override;
};

// Rank 0's LR decision: the static schedule, scaled by a reduce-on-plateau factor (optional), then the operator's
// override (optional):   lr(step) = override(schedule(step) x plateau_scale).
// Feed it only global statistics (see PlateauMetric): that, and deciding on one rank, keeps ranks in step.
class LrController {
 public:
  LrController(std::unique_ptr<LrSchedule> schedule, std::optional<PlateauOptions> plateau);

  double LrAt(int64_t step) const;

  // Returns true when the observation reduced the LR. Observations of metrics the plateau does not watch are
  // ignored, so callers report every global metric they have.
  bool Observe(PlateauMetric metric, double value);
  void SetOverride(const LrOverride& override) { override_ = override; }

  LrControllerState state() const;
  void Restore(const LrControllerState& state);

 private:
  std::unique_ptr<LrSchedule> schedule_;
  std::optional<Plateau> plateau_;
  LrOverride override_;
};

}  // namespace strobe

#endif  // STROBE_COORDINATOR_LR_CONTROLLER_H_
