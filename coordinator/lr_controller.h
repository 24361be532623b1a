#ifndef STROBE_COORDINATOR_LR_CONTROLLER_H_
#define STROBE_COORDINATOR_LR_CONTROLLER_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "coordinator/adascale.h"
#include "coordinator/controller_state.h"
#include "coordinator/control_file.h"
#include "coordinator/lr_schedule.h"
#include "coordinator/plateau.h"

namespace strobe {

// The dynamic part of the schedule, saved in checkpoints so a resumed run continues the same LR curve.
struct LrControllerState {
  PlateauState plateau;
  LrOverride override;
  AdaScaleState adascale;
};

// Rank 0's LR decision: the static schedule, scaled by a reduce-on-plateau factor (optional), then the operator's
// override (optional):   lr(step) = override(schedule(step) x plateau_scale).
// Under AdaScale (optional) the schedule is indexed by AdaScale's progress and scaled by its gain:
//                        lr(step) = override(gain x schedule(floor(progress)) x plateau_scale).
// Feed it only global statistics (see PlateauMetric): that, and deciding on one rank, keeps ranks in step.
class LrController {
 public:
  LrController(std::unique_ptr<LrSchedule> schedule, std::optional<PlateauOptions> plateau,
               std::optional<AdaScale> adascale = std::nullopt);

  double LrAt(int64_t step) const;
  std::optional<double> MomentumAt(int64_t step) const { return schedule_->MomentumAt(ScheduleStep(step)); }

  bool uses_gradient_statistics() const { return adascale_.has_value(); }
  void ObserveGradients(const GradientStatistics& statistics);

  // Returns true when the observation reduced the LR. Observations of metrics the plateau does not watch are
  // ignored, so callers report every global metric they have.
  bool Observe(PlateauMetric metric, double value);
  void SetOverride(const LrOverride& override) { override_ = override; }

  LrControllerState state() const;
  void Restore(const LrControllerState& state);

  // The state as entries a checkpoint stores without interpreting them, and back; a restore that misses an entry
  // fails and changes nothing.
  ControllerState SaveState() const;
  absl::Status RestoreState(const ControllerState& saved);

 private:
  int64_t ScheduleStep(int64_t step) const;

  std::unique_ptr<LrSchedule> schedule_;
  std::optional<Plateau> plateau_;
  std::optional<AdaScale> adascale_;
  LrOverride override_;
};

}  // namespace strobe

#endif  // STROBE_COORDINATOR_LR_CONTROLLER_H_
