#include "worker/run_options.h"

#include "absl/strings/str_format.h"
#include "ops/option_checks.h"

namespace strobe {

absl::Status RunOptions::Validate() const {
  if (run_dir.empty()) return absl::InvalidArgumentError("--run_dir is required");
  if (progress != "auto" && progress != "live" && progress != "lines") {
    return absl::InvalidArgumentError(absl::StrFormat("--progress=%s is not one of auto, live, lines", progress));
  }
  if (nonfinite != "skip" && nonfinite != "stop") {
    return absl::InvalidArgumentError(absl::StrFormat("--nonfinite=%s is not one of skip, stop", nonfinite));
  }
  return FirstError({CheckPositive("epochs", epochs), CheckPositive("batch_size", global_batch),
                     CheckPositive("accum_steps", accum_steps),
                     CheckPositive("log_every", log_every),
                     CheckNonNegative("max_skipped_steps", max_skipped_steps),
                     CheckNonNegative("stall_timeout_s", stall_timeout_s),
                     CheckNonNegative("setup_timeout_s", setup_timeout_s),
                     CheckNonNegative("inject_delay_ms", inject_delay_ms)});
}

}  // namespace strobe
