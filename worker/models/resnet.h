#ifndef STROBE_WORKER_MODELS_RESNET_H_
#define STROBE_WORKER_MODELS_RESNET_H_

#include <memory>
#include <vector>

#include "worker/models/classifier.h"

namespace strobe {

// Residual networks (He et al. 2016).
struct ResNetSpec {
  enum class Block { kBasic, kBottleneck };
  enum class Stem { kCifar, kImageNet };  // 3x3 conv, stride 1 | 7x7 conv stride 2 + 3x3 max-pool stride 2
  Block block = Block::kBasic;
  Stem stem = Stem::kCifar;
  std::vector<int64_t> widths;         // channels entering each stage's blocks (before bottleneck expansion)
  std::vector<int64_t> blocks;         // blocks per stage; stages after the first halve the resolution
  int64_t in_channels = 3;
  int64_t num_classes = 1000;
};

// resnet20: CIFAR-style, 16/32/64 channels, 3 basic blocks per stage (0.27M parameters for 10 classes).
ResNetSpec ResNet20Spec(int64_t in_channels, int64_t num_classes);
// resnet18 / resnet50: ImageNet-style, as torchvision's (11.7M / 25.6M parameters for 1000 classes).
ResNetSpec ResNet18Spec(int64_t in_channels, int64_t num_classes);
ResNetSpec ResNet50Spec(int64_t in_channels, int64_t num_classes);

// Projection shortcuts (1x1 conv + BatchNorm) wherever shape changes; Kaiming-normal (fan_out) convolutions,
// BatchNorm gamma 1 and beta 0, torchvision's default linear initialisation, all drawn from torch's global
// generator (seed it before building for reproducible weights).
std::shared_ptr<Classifier> MakeResNet(const ResNetSpec& spec);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_RESNET_H_
