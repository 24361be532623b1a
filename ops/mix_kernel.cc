#include "ops/mix_kernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstring>
#include <stdexcept>

#include "absl/strings/str_format.h"
#ifdef STROBE_WITH_CUDA
#include "ops/mix_kernel_cuda.h"
#endif

namespace strobe {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(absl::StrFormat("MixImages: %s", what));
}

void CheckArguments(const at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
                    const at::Tensor& masks, const at::Tensor& out) {
  Check(images.dim() == 4 && images.scalar_type() == at::kFloat && images.is_contiguous(),
        "images must be contiguous float32 [N, C, H, W]");
  Check(partners.dim() == 4 && partners.scalar_type() == at::kFloat && partners.is_contiguous() &&
            partners.sizes().slice(1) == images.sizes().slice(1),
        "partners must be contiguous float32 [M, C, H, W] with the images' C, H, W");
  Check(out.sizes() == images.sizes() && out.scalar_type() == at::kFloat && out.is_contiguous(),
        "out must be contiguous float32 shaped like images");
  Check(out.data_ptr() != images.data_ptr() && out.data_ptr() != partners.data_ptr(), "out aliases an input");
  Check(images.device() == partners.device() && images.device() == out.device(), "tensors on different devices");
  Check(static_cast<int64_t>(plan.size()) == images.size(0), "plan size differs from the batch");
  const int64_t height = images.size(2);
  const int64_t width = images.size(3);
  for (const SampleMix& s : plan) {
    Check(s.partner >= 0 && s.partner < partners.size(0), "partner index out of range");
    if (s.kind == SampleMix::kBox) {
      Check(0 <= s.y0 && s.y0 <= s.y1 && s.y1 <= height && 0 <= s.x0 && s.x0 <= s.x1 && s.x1 <= width,
            "box outside the image");
    } else if (s.kind == SampleMix::kMask) {
      Check(masks.defined() && masks.dim() == 3 && masks.scalar_type() == at::kByte && masks.is_contiguous() &&
                masks.size(1) == height && masks.size(2) == width && s.mask >= 0 && s.mask < masks.size(0) &&
                masks.device() == images.device(),
            "mask missing or not uint8 [M, H, W] matching the images");
    } else {
      Check(s.kind == SampleMix::kCopy || s.kind == SampleMix::kBlend, "unknown kind");
    }
  }
}

// One image row: `width` pixels of channel c, row y of sample n.
void MixRow(const SampleMix& s, int64_t y, int64_t width, const float* __restrict x, const float* __restrict p,
            const uint8_t* __restrict mask_row, float* __restrict o) {
  switch (s.kind) {
    case SampleMix::kBlend: {
      const float a = s.lam;
      const float b = 1.0f - s.lam;
      for (int64_t i = 0; i < width; ++i) o[i] = a * x[i] + b * p[i];
      return;
    }
    case SampleMix::kBox:
      if (y >= s.y0 && y < s.y1) {
        std::memcpy(o, x, s.x0 * sizeof(float));
        std::memcpy(o + s.x0, p + s.x0, (s.x1 - s.x0) * sizeof(float));
        std::memcpy(o + s.x1, x + s.x1, (width - s.x1) * sizeof(float));
        return;
      }
      break;
    case SampleMix::kMask:
      for (int64_t i = 0; i < width; ++i) o[i] = mask_row[i] ? x[i] : p[i];
      return;
    default:
      break;
  }
  std::memcpy(o, x, width * sizeof(float));
}

void MixImagesCpu(const at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
                  const at::Tensor& masks, at::Tensor& out) {
  const int64_t channels = images.size(1);
  const int64_t height = images.size(2);
  const int64_t width = images.size(3);
  const int64_t rows = images.size(0) * channels * height;
  const float* x = images.data_ptr<float>();
  const float* p = partners.data_ptr<float>();
  const uint8_t* m = masks.defined() ? masks.data_ptr<uint8_t>() : nullptr;
  float* o = out.data_ptr<float>();
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, width));
  at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / (channels * height);
      const int64_t y = row % height;
      const int64_t within = row % (channels * height);
      const SampleMix& s = plan[n];
      const uint8_t* mask_row = s.kind == SampleMix::kMask ? m + (s.mask * height + y) * width : nullptr;
      MixRow(s, y, width, x + row * width, p + (s.partner * channels * height + within) * width, mask_row,
             o + row * width);
    }
  });
}

}  // namespace

void MixImages(const at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
               const at::Tensor& masks, at::Tensor& out) {
  CheckArguments(images, partners, plan, masks, out);
  if (images.numel() == 0) return;
  if (images.is_cuda()) {
#ifdef STROBE_WITH_CUDA
    MixImagesCuda(images, partners, plan, masks, out);
    return;
#else
    throw std::invalid_argument("MixImages: CUDA tensors need a CUDA build");
#endif
  }
  MixImagesCpu(images, partners, plan, masks, out);
}

}  // namespace strobe
