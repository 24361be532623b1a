#ifndef STROBE_WORKER_MODELS_MODEL_OPTIONS_H_
#define STROBE_WORKER_MODELS_MODEL_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace strobe {

// Which network trains (worker/models/model_zoo.h) and the weights it starts from; its input channels and classes
// come from the data.
struct ModelOptions {
  std::string name = "resnet20";  // a built-in model, or a TorchScript file (PATH.pt)
  std::string init_weights;  // a state_dict file (worker/models/initial_weights.h); empty: a fresh initialisation
  std::string init_exclude;  // comma-separated names in that file whose tensors keep their initialisation
  // BatchNorm statistics of the global batch in training (worker/models/sync_batch_norm.h); built-in models only
  bool sync_bn = false;

  absl::Status Validate() const;
  // The names of init_exclude.
  std::vector<std::string> InitExcludeList() const;

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("model", self.name);
    visit("init_weights", self.init_weights);
    visit("init_exclude", self.init_exclude);
    visit("sync_bn", self.sync_bn);
  }
};

// Whether `--model` names a TorchScript file (worker/models/torchscript_model.h) rather than a built-in model: it
// ends in ".pt" or ".pth".
bool IsTorchScriptPath(const std::string& model);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_MODEL_OPTIONS_H_
