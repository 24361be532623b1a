#ifndef STROBE_AUGMENT_MIX_METHOD_H_
#define STROBE_AUGMENT_MIX_METHOD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "augment/mix_rng.h"
#include "augment/kernels/mix_kernel.h"

namespace strobe {

// A way of mixing an image with its partner. A method only decides *what* to mix (lambda, a box, a mask) from the
// rank's generator; the pixels are mixed by the shared fused kernel (augment/kernels/mix_kernel.h), so adding a method
// touches neither the kernel nor the training loop.
class MixMethod {
 public:
  virtual ~MixMethod() = default;
  virtual std::string name() const = 0;
  // Fills kind, lam (the exact weight of the image's own pixels) and the box or mask for an image of
  // height x width. A method that needs a mask appends height*width bytes (1 keeps the image, 0 takes the
  // partner) to `masks` and stores the mask's index.
  virtual void Draw(Rng& rng, int64_t height, int64_t width, SampleMix& mix, std::vector<uint8_t>& masks) const = 0;
};

// Mixup (Zhang et al. 2018): lambda ~ Beta(alpha, alpha), pixels blended.
std::unique_ptr<MixMethod> MakeMixup(double alpha);

// CutMix (Yun et al. 2019), timm's box rule: box sides sqrt(1 - lambda) x image sides around a uniform centre,
// clipped at the border, lambda ~ Beta(alpha, alpha); or, when min_ratio < max_ratio, sides uniform in
// [min_ratio, max_ratio] x image sides and placed fully inside. With correct_lambda (or a min/max box) lambda
// becomes the exact fraction of pixels left unpasted.
std::unique_ptr<MixMethod> MakeCutMix(double alpha, double min_ratio, double max_ratio, bool correct_lambda);

// FMix (Harris et al. 2020): lambda ~ Beta(alpha, alpha); the mask keeps the round(lambda * H * W) pixels where
// low-frequency Fourier noise (amplitude 1 / f^decay_power) is largest; lambda becomes the exact kept fraction.
std::unique_ptr<MixMethod> MakeFMix(double alpha, double decay_power);

}  // namespace strobe

#endif  // STROBE_AUGMENT_MIX_METHOD_H_
