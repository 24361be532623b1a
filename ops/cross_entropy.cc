#include "ops/cross_entropy.h"

#include <ATen/ATen.h>

#include <stdexcept>

namespace strobe {

at::Tensor CrossEntropy(const at::Tensor& logits, const at::Tensor& target) {
  if (logits.dim() != 2) throw std::invalid_argument("CrossEntropy: logits must be [N, C]");
  const at::Tensor log_probs = at::log_softmax(logits, /*dim=*/1);
  if (target.scalar_type() == at::kLong) {
    if (target.dim() != 1 || target.size(0) != logits.size(0)) {
      throw std::invalid_argument("CrossEntropy: hard labels must be int64 [N] matching the logits' batch");
    }
    return at::nll_loss(log_probs, target);
  }
  if (!at::isFloatingType(target.scalar_type()) || target.sizes() != logits.sizes()) {
    throw std::invalid_argument("CrossEntropy: soft targets must be floating [N, C] matching the logits");
  }
  return -(target.to(log_probs.scalar_type()) * log_probs).sum(1).mean();
}

}  // namespace strobe
