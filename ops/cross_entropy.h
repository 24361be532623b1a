#ifndef STROBE_OPS_CROSS_ENTROPY_H_
#define STROBE_OPS_CROSS_ENTROPY_H_

#include <ATen/core/Tensor.h>

namespace strobe {

// Mean cross-entropy of `logits` [N, C] against either hard labels (int64 [N], each in [0, C)) or soft target
// distributions (floating [N, C], rows summing to 1, as produced by label smoothing and CutMix/Mixup).
// Throws std::invalid_argument on shapes or dtypes that fit neither form.
at::Tensor CrossEntropy(const at::Tensor& logits, const at::Tensor& target);

}  // namespace strobe

#endif  // STROBE_OPS_CROSS_ENTROPY_H_
