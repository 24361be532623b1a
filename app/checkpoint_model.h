#ifndef STROBE_APP_CHECKPOINT_MODEL_H_
#define STROBE_APP_CHECKPOINT_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/models/classifier.h"

namespace strobe {

// The trained model a checkpoint holds, with its weights (rank-averaged BatchNorm statistics) loaded: a built-in
// model is rebuilt from its name for `in_channels` and `num_classes`; a TorchScript model is loaded from
// `module_file` when that names a TorchScript file, else from the path the run trained it from (its manifest's
// "model"). A module whose tensors differ from the checkpoint's by name or shape is InvalidArgument. With `ema` the
// parameters are the checkpoint's moving average of the weights (ema.pt; FailedPrecondition if it has none).
absl::StatusOr<std::shared_ptr<Classifier>> LoadCheckpointModel(const VerifiedCheckpoint& checkpoint,
                                                                int64_t in_channels, int64_t num_classes,
                                                                const std::string& module_file, bool ema);

// `tensors` (a checkpoint's model, by Strobe's names) with each parameter replaced by the checkpoint's moving
// average of it; FailedPrecondition if the checkpoint has none.
absl::Status UseEmaWeights(const VerifiedCheckpoint& checkpoint,
                           std::vector<std::pair<std::string, at::Tensor>>& tensors);

// --ema: export and eval take the checkpoint's EMA of the weights.
bool EmaFlag();

// The `--model` given on the command line, when it names a TorchScript file; empty otherwise.
std::string TorchScriptModelFlag();

}  // namespace strobe

#endif  // STROBE_APP_CHECKPOINT_MODEL_H_
