#ifndef STROBE_WORKER_MODELS_MODEL_CONTRACT_H_
#define STROBE_WORKER_MODELS_MODEL_CONTRACT_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "worker/models/classifier.h"

namespace strobe {

// Checks, before anything trains, that `model` (called `name` in messages) is what training needs: trainable
// parameters, and float logits [N, outputs] for `images`, a few of the data's images as the model takes them.
// The forward pass runs in eval mode without gradients, so it changes no weight and no BatchNorm statistic. Each
// failure is one InvalidArgument line naming the model and what is wrong (a channel count that differs from the
// data's, a wrong output shape, integer output, a forward pass that throws).
// `outputs` is what the model must return per image, for the reason `why` ("the data has 10 classes").
absl::Status CheckModelContract(Classifier& model, const std::string& name, const at::Tensor& images, int64_t outputs,
                                const std::string& why);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_MODEL_CONTRACT_H_
