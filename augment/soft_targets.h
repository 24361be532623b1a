#ifndef STROBE_AUGMENT_SOFT_TARGETS_H_
#define STROBE_AUGMENT_SOFT_TARGETS_H_

#include <ATen/core/Tensor.h>

namespace strobe {

// Turns int64 class labels [N] into float target distributions [N, num_classes] with label smoothing
// (Szegedy et al. 2016, timm's convention): the true class gets 1 - smoothing + smoothing / num_classes, every
// other class smoothing / num_classes. smoothing = 0 gives one-hot rows. Throws std::invalid_argument for a
// label outside [0, num_classes) or smoothing outside [0, 1).
at::Tensor SmoothedOneHot(const at::Tensor& labels, int64_t num_classes, double smoothing);

}  // namespace strobe

#endif  // STROBE_AUGMENT_SOFT_TARGETS_H_
