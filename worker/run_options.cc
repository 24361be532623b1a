#include "worker/run_options.h"

#include "absl/strings/str_format.h"
#include "ops/option_checks.h"

namespace strobe {

absl::Status RunOptions::Validate() const {
  if (run_dir.empty()) return absl::InvalidArgumentError("--run_dir is required");
  if (progress != "auto" && progress != "live" && progress != "lines") {
    return absl::InvalidArgumentError(absl::StrFormat("--progress=%s is not one of auto, live, lines", progress));
  }
  return FirstError({CheckPositive("epochs", epochs), CheckPositive("batch_size", global_batch),
                     CheckPositive("log_every", log_every)});
}

}  // namespace strobe
