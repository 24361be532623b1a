#ifndef STROBE_AUGMENT_KERNELS_SAMPLE_MIX_H_
#define STROBE_AUGMENT_KERNELS_SAMPLE_MIX_H_

// Plain data shared by the C++ and CUDA sides of the mixing kernel: no ATen, so nvcc can include it.
#include <cstdint>

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

}  // namespace strobe

#endif  // STROBE_AUGMENT_KERNELS_SAMPLE_MIX_H_
