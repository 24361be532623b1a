#ifndef STROBE_AUGMENT_KERNELS_MIX_KERNEL_CUDA_H_
#define STROBE_AUGMENT_KERNELS_MIX_KERNEL_CUDA_H_

// CUDA builds only. Plain C++: nothing that includes this needs nvcc.
#include <ATen/core/Tensor.h>

#include <vector>

#include "augment/kernels/mix_kernel.h"

namespace strobe {

// MixImages for CUDA tensors (arguments already checked): copies the plan to the device and launches one kernel
// on the current CUDA stream; returns without waiting for it.
void MixImagesCuda(const at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
                   const at::Tensor& masks, at::Tensor& out);

}  // namespace strobe

#endif  // STROBE_AUGMENT_KERNELS_MIX_KERNEL_CUDA_H_
