#include "worker/models/model_options.h"

#include "worker/models/model_zoo.h"

namespace strobe {

absl::Status ModelOptions::Validate() const { return CheckModelName(name); }

}  // namespace strobe
