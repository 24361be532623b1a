#ifndef STROBE_APP_EVAL_COMMAND_H_
#define STROBE_APP_EVAL_COMMAND_H_

#include "ops/distributed_context.h"

namespace strobe {

// `strobe eval --model=CKPT_DIR|PATH.pt --data=DIR [--eval_split=test|train] [--output=FILE.json]`, on every rank of
// the job: an exact distributed evaluation of one split (each image once at any world size, nothing padded) of a
// checkpoint (its model and weights) or a TorchScript file (its weights as saved). Rank 0 prints top-1, top-5,
// the loss and the accuracy of each class, and writes them as JSON to --output (never over an existing file).
int RunEvalCommand(const DistributedContext& context);

}  // namespace strobe

#endif  // STROBE_APP_EVAL_COMMAND_H_
