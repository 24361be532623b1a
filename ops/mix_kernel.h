#ifndef STROBE_OPS_MIX_KERNEL_H_
#define STROBE_OPS_MIX_KERNEL_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace strobe {

// How one output image is made from its own image x and a partner image p of the same shape.
struct SampleMix {
  enum Kind : int32_t { kCopy = 0, kBlend = 1, kBox = 2, kMask = 3 };
  int32_t kind = kCopy;
  // The weight of x in the result and in the mixed target: kBlend mixes pixels as lam*x + (1-lam)*p; for kBox
  // and kMask it is the exact fraction of pixels taken from x.
  float lam = 1.0f;
  int32_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;  // kBox: rows [y0, y1) x columns [x0, x1) come from p
  int32_t mask = -1;                       // kMask: index into `masks` (uint8 [M, H, W]; 1 keeps x, 0 takes p)
  int64_t partner = 0;                     // row of `partners` holding p
};

// out[i] = mix(images[i], partners[plan[i].partner]) for every i, in one pass over the pixels: each output pixel
// is written once and each input pixel read at most once per use, with no intermediate batch. Float32,
// contiguous NCHW; `partners` may be `images` itself (in-batch partners) but `out` must not alias either.
// CPU tensors run on ATen's thread pool; in CUDA builds CUDA tensors run as one CUDA kernel.
// Throws std::invalid_argument on shapes, dtypes, devices or plan entries that do not fit.
void MixImages(const at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
               const at::Tensor& masks, at::Tensor& out);

}  // namespace strobe

#endif  // STROBE_OPS_MIX_KERNEL_H_
