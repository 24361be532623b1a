#ifndef STROBE_WORKER_MODELS_MODEL_OPTIONS_H_
#define STROBE_WORKER_MODELS_MODEL_OPTIONS_H_

#include <string>

#include "absl/status/status.h"

namespace strobe {

// Which network trains (worker/models/model_zoo.h); its input channels and classes come from the data.
struct ModelOptions {
  std::string name = "resnet20";

  absl::Status Validate() const;

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("model", self.name);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_MODEL_OPTIONS_H_
