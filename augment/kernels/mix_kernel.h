#ifndef STROBE_AUGMENT_KERNELS_MIX_KERNEL_H_
#define STROBE_AUGMENT_KERNELS_MIX_KERNEL_H_

#include <ATen/core/Tensor.h>

#include <vector>

#include "augment/kernels/sample_mix.h"

namespace strobe {

// out[i] = mix(images[i], partners[plan[i].partner]) for every i, in one pass over the pixels: each output pixel
// is written once and each input pixel read at most once per use, with no intermediate batch. Float32,
// contiguous NCHW; `partners` may be `images` itself (in-batch partners) but `out` must not alias either.
// CPU tensors run on ATen's thread pool; in CUDA builds CUDA tensors run as one CUDA kernel.
// Throws std::invalid_argument on shapes, dtypes, devices or plan entries that do not fit.
void MixImages(const at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
               const at::Tensor& masks, at::Tensor& out);

}  // namespace strobe

#endif  // STROBE_AUGMENT_KERNELS_MIX_KERNEL_H_
