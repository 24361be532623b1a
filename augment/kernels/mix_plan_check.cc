#include "augment/kernels/mix_plan_check.h"

#include <ATen/ATen.h>

#include <stdexcept>

#include "absl/strings/str_format.h"

namespace strobe {

void CheckMix(const char* caller, bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(absl::StrFormat("%s: %s", caller, what));
}

void CheckMixPlan(const char* caller, const at::Tensor& images, const at::Tensor& partners,
                  const std::vector<SampleMix>& plan, const at::Tensor& masks) {
  CheckMix(caller, images.dim() == 4 && images.scalar_type() == at::kFloat && images.is_contiguous(),
           "images must be contiguous float32 [N, C, H, W]");
  CheckMix(caller,
           partners.dim() == 4 && partners.scalar_type() == at::kFloat && partners.is_contiguous() &&
               partners.sizes().slice(1) == images.sizes().slice(1),
           "partners must be contiguous float32 [M, C, H, W] with the images' C, H, W");
  CheckMix(caller, images.device() == partners.device(), "tensors on different devices");
  CheckMix(caller, static_cast<int64_t>(plan.size()) == images.size(0), "plan size differs from the batch");
  const int64_t height = images.size(2);
  const int64_t width = images.size(3);
  for (const SampleMix& s : plan) {
    CheckMix(caller, s.partner >= 0 && s.partner < partners.size(0), "partner index out of range");
    if (s.kind == SampleMix::kBox) {
      CheckMix(caller, 0 <= s.y0 && s.y0 <= s.y1 && s.y1 <= height && 0 <= s.x0 && s.x0 <= s.x1 && s.x1 <= width,
               "box outside the image");
    } else if (s.kind == SampleMix::kMask) {
      CheckMix(caller,
               masks.defined() && masks.dim() == 3 && masks.scalar_type() == at::kByte && masks.is_contiguous() &&
                   masks.size(1) == height && masks.size(2) == width && s.mask >= 0 && s.mask < masks.size(0) &&
                   masks.device() == images.device(),
               "mask missing or not uint8 [M, H, W] matching the images");
    } else {
      CheckMix(caller, s.kind == SampleMix::kCopy || s.kind == SampleMix::kBlend, "unknown kind");
    }
  }
}

}  // namespace strobe
