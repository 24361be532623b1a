#ifndef STROBE_APP_TRAIN_FLAGS_H_
#define STROBE_APP_TRAIN_FLAGS_H_

#include "worker/train_config.h"

namespace strobe {

// The TrainConfig the `strobe train` flags describe (unvalidated).
TrainConfig TrainConfigFromFlags();

}  // namespace strobe

#endif  // STROBE_APP_TRAIN_FLAGS_H_
