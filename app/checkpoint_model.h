#ifndef STROBE_APP_CHECKPOINT_MODEL_H_
#define STROBE_APP_CHECKPOINT_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/models/classifier.h"

namespace strobe {

// The trained model a checkpoint holds, with its weights (rank-averaged BatchNorm statistics) loaded: a built-in
// model is rebuilt from its name for `in_channels` and `num_classes`; a TorchScript model is loaded from
// `module_file` when that names a TorchScript file, else from the path the run trained it from (its manifest's
// "model"). A module whose tensors differ from the checkpoint's by name or shape is InvalidArgument.
absl::StatusOr<std::shared_ptr<Classifier>> LoadCheckpointModel(const VerifiedCheckpoint& checkpoint,
                                                                int64_t in_channels, int64_t num_classes,
                                                                const std::string& module_file);

// The `--model` given on the command line, when it names a TorchScript file; empty otherwise.
std::string TorchScriptModelFlag();

}  // namespace strobe

#endif  // STROBE_APP_CHECKPOINT_MODEL_H_
