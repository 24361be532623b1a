#ifndef STROBE_WORKER_MODELS_TORCHVISION_NAMES_H_
#define STROBE_WORKER_MODELS_TORCHVISION_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "worker/models/resnet.h"

namespace strobe {

// torchvision's (and timm's, which are the same) names for the tensors of Strobe's ImageNet-style ResNets, whose
// architecture is theirs: `strobe export` writes these names and `--init_weights` reads them, through this one
// mapping. resnet20 (the CIFAR stem) has no torchvision counterpart and keeps Strobe's names.
bool HasTorchvisionNames(const ResNetSpec& spec);

// torchvision's name for the tensor Strobe calls `strobe_name`: "stem.0.weight" -> "conv1.weight",
// "stages.2.body.3.weight" -> "layer2.0.conv2.weight" (resnet18: stages.2 is layer2's first block),
// "stages.2.shortcut.1.running_mean" -> "layer2.0.downsample.1.running_mean", "fc.bias" -> "fc.bias".
absl::StatusOr<std::string> TorchvisionName(const ResNetSpec& spec, const std::string& strobe_name);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_TORCHVISION_NAMES_H_
