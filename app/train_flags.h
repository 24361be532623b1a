#ifndef STROBE_APP_TRAIN_FLAGS_H_
#define STROBE_APP_TRAIN_FLAGS_H_

#include "absl/status/statusor.h"
#include "worker/train_config.h"

namespace strobe {

// The TrainConfig the `strobe train` flags describe (also read by lr-find, lr-plot, plan and make-image-folder, so a
// flag means the same to every command); an error for an unknown enumeration value or an unparsable list, naming
// the flag. The values are checked by TrainConfig::Validate.
absl::StatusOr<TrainConfig> TrainConfigFromFlags();

}  // namespace strobe

#endif  // STROBE_APP_TRAIN_FLAGS_H_
