#ifndef STROBE_WORKER_MODELS_INITIAL_WEIGHTS_H_
#define STROBE_WORKER_MODELS_INITIAL_WEIGHTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/models/classifier.h"
#include "worker/models/resnet.h"

namespace strobe {

// What LoadInitialWeights took from its file.
struct InitialWeights {
  int64_t tensors = 0;                // copied into the model
  int64_t values = 0;                 // their elements
  bool torchvision_names = false;     // the file names tensors as torchvision does (else as Strobe does)
  std::vector<std::string> excluded;  // the file's names of the model's tensors that kept their initialisation
  uint32_t crc32 = 0;  // of the copied tensors' bytes as stored in the file, taken in the order of their names
};

// Starts `model` (built from `spec`, called `model_name` in errors) from a state_dict file: a dict of tensors
// saved with torch.save, named as torchvision and timm name resnet18/resnet50 (torchvision_names.h; what `strobe
// export` writes) or as Strobe does (a checkpoint's model.pt, resnet20). Tensors whose file name is one of
// `exclude` or lies under one ("fc": fc.weight, fc.bias) keep their initialisation. Every other tensor of the
// model must be in the file with its shape and dtype, and every tensor of the file must be used or excluded: the
// error lists the missing, unexpected and mis-shaped ones, and nothing is copied unless everything fits.
absl::StatusOr<InitialWeights> LoadInitialWeights(Classifier& model, const std::string& model_name,
                                                  const ResNetSpec& spec, const std::string& path,
                                                  const std::vector<std::string>& exclude);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_INITIAL_WEIGHTS_H_
