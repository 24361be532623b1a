#ifndef STROBE_APP_TRAIN_FLAGS_H_
#define STROBE_APP_TRAIN_FLAGS_H_

#include "absl/status/statusor.h"
#include "worker/train_config.h"

namespace strobe {

// The TrainConfig the `strobe train` flags describe; an error for an unknown enumeration value (the rest is
// checked by ValidateTrainConfig).
absl::StatusOr<TrainConfig> TrainConfigFromFlags();

}  // namespace strobe

#endif  // STROBE_APP_TRAIN_FLAGS_H_
