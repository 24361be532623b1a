#ifndef STROBE_WORKER_MODELS_MODEL_ZOO_H_
#define STROBE_WORKER_MODELS_MODEL_ZOO_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/models/classifier.h"
#include "worker/models/resnet.h"

namespace strobe {

// The names `--model` accepts.
std::vector<std::string> ModelNames();

// OK for a name `--model` accepts, else InvalidArgument naming the choices.
absl::Status CheckModelName(const std::string& name);

// The named model's architecture; an unknown name or non-positive sizes give InvalidArgument naming the choices.
absl::StatusOr<ResNetSpec> ModelSpec(const std::string& name, int64_t in_channels, int64_t num_classes);

// Builds the named model; an unknown name or non-positive sizes give InvalidArgument naming the choices.
absl::StatusOr<std::shared_ptr<Classifier>> MakeModel(const std::string& name, int64_t in_channels,
                                                      int64_t num_classes);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_MODEL_ZOO_H_
