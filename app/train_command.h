#ifndef STROBE_APP_TRAIN_COMMAND_H_
#define STROBE_APP_TRAIN_COMMAND_H_

#include "ops/distributed_context.h"

namespace strobe {

// `strobe train`: reads the train flags, builds data, model and schedule, trains, and returns the process exit
// code (0 success, 1 a failed run, 2 bad flags). Called on every rank.
int RunTrainCommand(const DistributedContext& context);

}  // namespace strobe

#endif  // STROBE_APP_TRAIN_COMMAND_H_
