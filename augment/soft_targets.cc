#include "augment/soft_targets.h"

#include <ATen/ATen.h>

#include <stdexcept>

namespace strobe {

at::Tensor SmoothedOneHot(const at::Tensor& labels, int64_t num_classes, double smoothing) {
  if (labels.scalar_type() != at::kLong || labels.dim() != 1) {
    throw std::invalid_argument("SmoothedOneHot: labels must be int64 [N]");
  }
  if (!(smoothing >= 0.0 && smoothing < 1.0)) {
    throw std::invalid_argument("SmoothedOneHot: smoothing must lie in [0, 1)");
  }
  if (labels.numel() > 0 && (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= num_classes)) {
    throw std::invalid_argument("SmoothedOneHot: a label lies outside [0, num_classes)");
  }
  const double off_value = smoothing / static_cast<double>(num_classes);
  at::Tensor targets = at::full({labels.size(0), num_classes}, off_value, at::TensorOptions().dtype(at::kFloat).device(labels.device()));
  targets.scatter_(1, labels.unsqueeze(1), 1.0 - smoothing + off_value);
  return targets;
}

}  // namespace strobe
