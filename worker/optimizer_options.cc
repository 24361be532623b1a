#include "worker/optimizer_options.h"

#include "ops/option_checks.h"

namespace strobe {

absl::Status OptimizerOptions::Validate() const {
  if (absl::Status ranges = FirstError({CheckInRange("momentum", momentum, 0, 1, true),
                                        CheckInRange("weight_decay", weight_decay, 0, 1, false),
                                        CheckInRange("no_decay_lr_factor", no_decay_lr_factor, 0, 1e6, false),
                                        CheckInRange("ema_decay", ema_decay, 0, 1, true)});
      !ranges.ok()) {
    return ranges;
  }
  if (nesterov && momentum <= 0) return absl::InvalidArgumentError("--nesterov needs --momentum > 0");
  if (ema_warmup && ema_decay == 0) return absl::InvalidArgumentError("--ema_warmup needs --ema_decay > 0");
  return absl::OkStatus();
}

}  // namespace strobe
