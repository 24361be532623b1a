#ifndef STROBE_APP_LR_SETUP_H_
#define STROBE_APP_LR_SETUP_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "coordinator/lr_controller.h"
#include "worker/train_config.h"

namespace strobe {

// The LR controller that `config` describes for a run of `steps_per_epoch` global steps per epoch on `world_size`
// ranks: the static schedule (epochs converted to steps, the linear scaling rule), the plateau and AdaScale when
// asked for. Under AdaScale the schedule is the one for a single rank's batch: peak LR scaled to the local batch and
// length (warmup, milestones, total) in single-rank steps, world_size per global step; AdaScale's gain restores
// the scaling as far as the gradient noise justifies it. Errors name the flag.
absl::StatusOr<LrController> MakeLrController(const TrainConfig& config, int64_t steps_per_epoch, int world_size);

}  // namespace strobe

#endif  // STROBE_APP_LR_SETUP_H_
