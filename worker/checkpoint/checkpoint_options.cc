#include "worker/checkpoint/checkpoint_options.h"

#include "ops/option_checks.h"

namespace strobe {

absl::Status CheckpointOptions::Validate() const {
  return FirstError({CheckNonNegative("checkpoint_every_steps", every_steps),
                     CheckNonNegative("checkpoint_every_minutes", every_minutes),
                     CheckNonNegative("keep_checkpoints", keep)});
}

}  // namespace strobe
