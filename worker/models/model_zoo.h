#ifndef STROBE_WORKER_MODELS_MODEL_ZOO_H_
#define STROBE_WORKER_MODELS_MODEL_ZOO_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/models/classifier.h"
#include "worker/models/resnet.h"

namespace strobe {

// The built-in models' names. `--model` also takes a TorchScript file (worker/models/torchscript_model.h).
std::vector<std::string> ModelNames();

// OK for a built-in model's name or a readable TorchScript file, else InvalidArgument naming the choices.
absl::Status CheckModelName(const std::string& name);

// The named built-in model's architecture; an unknown name, a TorchScript file or non-positive sizes give
// InvalidArgument.
absl::StatusOr<ResNetSpec> ModelSpec(const std::string& name, int64_t in_channels, int64_t num_classes);

// Builds the named model, or loads a TorchScript file (which has its own input channels and classes: check it with
// worker/models/model_contract.h); an unknown name or non-positive sizes give InvalidArgument naming the choices.
absl::StatusOr<std::shared_ptr<Classifier>> MakeModel(const std::string& name, int64_t in_channels,
                                                      int64_t num_classes);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_MODEL_ZOO_H_
