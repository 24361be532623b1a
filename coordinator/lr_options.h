#ifndef STROBE_COORDINATOR_LR_OPTIONS_H_
#define STROBE_COORDINATOR_LR_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coordinator/lr_controller.h"

namespace strobe {

// The shared learning-rate schedule's settings: the static schedule (coordinator/lr_schedule.h), the linear scaling
// rule, reduce-on-plateau (coordinator/plateau.h) and AdaScale (coordinator/adascale.h).
struct LrOptions {
  double base_lr = 0.1;         // for a global batch of reference_batch when scale_lr is on
  bool scale_lr = true;         // linear scaling rule: LR = base_lr x global_batch / reference_batch
  int64_t reference_batch = 256;
  std::string schedule = "cosine";  // constant | cosine | step | poly | onecycle
  double warmup_epochs = 0.5;
  int64_t warmup_steps = -1;  // >= 0 overrides warmup_epochs
  std::vector<double> milestones;  // step schedule: epochs after warmup at which the LR is multiplied by gamma
  double gamma = 0.1;
  double power = 1.0;
  double final_lr = 0.0;
  double onecycle_pct_start = 0.25;  // onecycle: fraction of the run spent rising to the peak
  double onecycle_div = 25.0;
  double onecycle_final_div = 1e5;
  double onecycle_min_momentum = 0.85;
  double onecycle_max_momentum = 0.95;
  bool adascale = false;  // AdaScale: gain and schedule progress from gradient noise
  double adascale_smoothing = 0.99;
  std::string plateau_metric;  // empty: no plateau; else val_loss | val_accuracy | train_loss
  int64_t plateau_patience = 5;
  double plateau_factor = 0.1;
  int64_t plateau_cooldown = 0;
  double plateau_threshold = 1e-4;
  double plateau_min_lr = 0.0;

  // The checks that need no run length; MakeLrController checks the schedule against the run.
  absl::Status Validate() const;

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("lr", self.base_lr);
    visit("scale_lr", self.scale_lr);
    visit("reference_batch", self.reference_batch);
    visit("lr_schedule", self.schedule);
    visit("warmup_epochs", self.warmup_epochs);
    visit("warmup_steps", self.warmup_steps);
    visit("lr_milestones", self.milestones);
    visit("lr_gamma", self.gamma);
    visit("lr_power", self.power);
    visit("final_lr", self.final_lr);
    visit("onecycle_pct_start", self.onecycle_pct_start);
    visit("onecycle_div", self.onecycle_div);
    visit("onecycle_final_div", self.onecycle_final_div);
    visit("onecycle_min_momentum", self.onecycle_min_momentum);
    visit("onecycle_max_momentum", self.onecycle_max_momentum);
    visit("lr_adascale", self.adascale);
    visit("adascale_smoothing", self.adascale_smoothing);
    visit("plateau_metric", self.plateau_metric);
    visit("plateau_patience", self.plateau_patience);
    visit("plateau_factor", self.plateau_factor);
    visit("plateau_cooldown", self.plateau_cooldown);
    visit("plateau_threshold", self.plateau_threshold);
    visit("plateau_min_lr", self.plateau_min_lr);
  }
};

// The run the schedule is laid over.
struct LrRunShape {
  int64_t global_batch = 0;
  int64_t steps_per_epoch = 0;
  int64_t epochs = 0;
  int world_size = 1;
};

// The LR controller `options` describe for `run`: the static schedule (epochs converted to steps, the linear
// scaling rule), the plateau and AdaScale when asked for. Under AdaScale the schedule is the one for a single
// rank's batch: peak LR scaled to the local batch and length (warmup, milestones, total) in single-rank steps,
// world_size per global step; AdaScale's gain restores the scaling as far as the gradient noise justifies it.
// Errors name the flag.
absl::StatusOr<LrController> MakeLrController(const LrOptions& options, const LrRunShape& run);

}  // namespace strobe

#endif  // STROBE_COORDINATOR_LR_OPTIONS_H_
