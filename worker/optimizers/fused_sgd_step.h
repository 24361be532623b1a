#ifndef STROBE_WORKER_OPTIMIZERS_FUSED_SGD_STEP_H_
#define STROBE_WORKER_OPTIMIZERS_FUSED_SGD_STEP_H_

#include <ATen/core/Tensor.h>

namespace strobe {

struct SgdStepSettings {
  double lr = 0;
  double weight_decay = 0;
  double momentum = 0;
  bool nesterov = false;
};

// torch.optim.SGD's update of one parameter that has a momentum buffer (every step after its first) in one pass
// over its elements, on the CPU: direction = grad + weight_decay * param, buffer = momentum * buffer + direction,
// param -= lr * (Nesterov ? direction + momentum * buffer : buffer), with each element's operations rounded as
// LibTorch's separate kernels round them (fused multiply-adds where they use them), so bitwise what they give. The
// separate kernels read and write the parameter-sized tensors up to 14 times (with weight decay and Nesterov); this
// reads 3 and writes 2.
//
// CanFuseSgdStep is false where it cannot be bitwise: not float32 CPU tensors of one size and one dense layout; a
// CPU without AVX2 and FMA; a LibTorch whose kernels round differently (a self-check against torch::optim::SGD on
// sample values on first use).
bool CanFuseSgdStep(const at::Tensor& param, const at::Tensor& grad, const at::Tensor& buffer);
void FusedSgdStep(const at::Tensor& param, const at::Tensor& grad, const at::Tensor& buffer,
                  const SgdStepSettings& settings);

// Whether this process runs the fused step where the tensors fit: the CPU has AVX2 and FMA, and the self-check
// found it bitwise torch::optim::SGD. The first call runs the self-check (under a millisecond).
bool FusedSgdStepRuns();

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZERS_FUSED_SGD_STEP_H_
