#ifndef STROBE_APP_SHARED_MODEL_H_
#define STROBE_APP_SHARED_MODEL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "ops/communicator.h"
#include "worker/data/sample_source.h"
#include "worker/models/classifier.h"
#include "worker/models/model_options.h"
#include "worker/models/torchscript_model.h"
#include "worker/task_options.h"

namespace strobe {

// Collective, for the commands that train (train, lr-find): every rank builds the model `options` names for the
// data's channels, with the data's classes as outputs, or one under a regression `task`. A built-in starts from a
// fresh initialisation (seed torch first; --init_weights is loaded next, by app/shared_initial_weights.h). A
// TorchScript file is loaded on every rank, must be the same file everywhere (equal CRC-32s of its bytes, else the
// host that differs is named) and must take the data: a forward pass of two of `data`'s images
// (worker/models/model_contract.h). Rank 0's weights are broadcast later, as for any model. Rank 0 (`report`)
// prints "strobe: model F: TorchScript, 62 tensors, 11181642 parameters, 60 buffers, CRC-32 1a2b3c4d on every
// rank".
absl::StatusOr<std::shared_ptr<Classifier>> MakeSharedModel(Communicator& communicator, const ModelOptions& options,
                                                            const TaskOptions& task, SampleSource& data, bool report);

// Collective: FailedPrecondition naming the first rank whose file of `model` (a TorchScript file, a checkpoint's
// weights) differs from rank 0's, by the CRC-32 each rank read.
absl::Status CheckSameFileEverywhere(Communicator& communicator, const std::string& model, uint32_t crc32);

// Collective: InvalidArgument (agreed on every rank) unless `model` takes two of `data`'s images, as evaluated and,
// where their size differs, as epoch 0 trains on them (--image_size_schedule), and returns logits for its
// classes, or one value under a regression `task` (worker/models/model_contract.h).
absl::Status CheckTakesTheData(Communicator& communicator, Classifier& model, const std::string& name,
                               const TaskOptions& task, SampleSource& data);

}  // namespace strobe

#endif  // STROBE_APP_SHARED_MODEL_H_
