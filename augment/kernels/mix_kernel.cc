#include "augment/kernels/mix_kernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstring>
#include <stdexcept>

#include "ops/avx2.h"
#include "augment/kernels/mix_plan_check.h"
#ifdef STROBE_WITH_CUDA
#include "augment/kernels/mix_kernel_cuda.h"
#endif

namespace strobe {
namespace {

void CheckArguments(const at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
                    const at::Tensor& masks, const at::Tensor& out) {
  CheckMixPlan("MixImages", images, partners, plan, masks);
  CheckMix("MixImages", out.sizes() == images.sizes() && out.scalar_type() == at::kFloat && out.is_contiguous(),
           "out must be contiguous float32 shaped like images");
  CheckMix("MixImages", out.data_ptr() != images.data_ptr() && out.data_ptr() != partners.data_ptr(),
           "out aliases an input");
  CheckMix("MixImages", out.device() == images.device(), "tensors on different devices");
}

// Blends and boxes of batches larger than this are written with non-temporal stores: the batch will not stay in cache
// until the model reads it, and streaming stores skip reading each destination line before overwriting it.
constexpr int64_t kStreamingBytes = 8 << 20;
// CutMix planes up to this many pixels (16 KiB of floats, well inside L1) are copied whole and then boxed.
constexpr int64_t kSmallPlane = 4096;

// o = a*x + b*p over n pixels.
STROBE_ALSO_FOR_AVX2 void Blend(float a, float b, int64_t n, const float* __restrict x, const float* __restrict p,
                                float* __restrict o, bool streaming) {
  int64_t i = 0;
#if defined(__x86_64__)
  if (streaming && reinterpret_cast<uintptr_t>(o) % 16 == 0) {
    const __m128 va = _mm_set1_ps(a);
    const __m128 vb = _mm_set1_ps(b);
    for (; i + 4 <= n; i += 4) {
      _mm_stream_ps(o + i, _mm_add_ps(_mm_mul_ps(va, _mm_loadu_ps(x + i)), _mm_mul_ps(vb, _mm_loadu_ps(p + i))));
    }
  }
#endif
  for (; i < n; ++i) o[i] = a * x[i] + b * p[i];
}

#if defined(__x86_64__)
// Streams n pixels from x to o; o is 32-byte aligned and n a multiple of 8.
__attribute__((target("avx2"))) void StreamCopy(int64_t n, const float* __restrict x, float* __restrict o) {
  for (int64_t i = 0; i < n; i += 8) _mm256_stream_ps(o + i, _mm256_loadu_ps(x + i));
}

// A boxed plane written with 32-byte streaming stores, row by row: rows start 32-byte aligned (the caller checks),
// so every store is aligned, and the one or two vectors a box edge cuts take each lane from its own source. On the
// 154 MB batch this ran about 15 % faster than the memcpy of row segments, which reads each destination line before
// overwriting it; 16-byte streaming stores ran at half the speed (docs/mixing.md).
__attribute__((target("avx2"))) void StreamBoxPlane(const SampleMix& s, int64_t height, int64_t width,
                                                    const float* __restrict x, const float* __restrict p,
                                                    float* __restrict o) {
  if (s.x1 <= s.x0) {  // a box with rows but no columns takes nothing from p
    StreamCopy(height * width, x, o);
    return;
  }
  StreamCopy(s.y0 * width, x, o);
  // Vectors first..last touch the box's columns; only those two can straddle its edges.
  const int64_t first = s.x0 / 8 * 8;
  const int64_t last = (s.x1 - 1) / 8 * 8;
  const __m256 first_lanes = LanesIn(first, s.x0, s.x1);
  const __m256 last_lanes = LanesIn(last, s.x0, s.x1);
  for (int64_t y = s.y0; y < s.y1; ++y) {
    const float* xr = x + y * width;
    const float* pr = p + y * width;
    float* orow = o + y * width;
    int64_t c = 0;
    for (; c < first; c += 8) _mm256_stream_ps(orow + c, _mm256_loadu_ps(xr + c));
    _mm256_stream_ps(orow + c, _mm256_blendv_ps(_mm256_loadu_ps(xr + c), _mm256_loadu_ps(pr + c), first_lanes));
    for (c += 8; c < last; c += 8) _mm256_stream_ps(orow + c, _mm256_loadu_ps(pr + c));
    if (c == last) {
      _mm256_stream_ps(orow + c, _mm256_blendv_ps(_mm256_loadu_ps(xr + c), _mm256_loadu_ps(pr + c), last_lanes));
      c += 8;
    }
    for (; c < width; c += 8) _mm256_stream_ps(orow + c, _mm256_loadu_ps(xr + c));
  }
  StreamCopy((height - s.y1) * width, x + s.y1 * width, o + s.y1 * width);
}

bool CanStreamBoxes(int64_t width, const float* o) {
  return CpuHasAvx2() && width % 8 == 0 && reinterpret_cast<uintptr_t>(o) % 32 == 0;
}
#endif

// One channel plane (height x width pixels) of one sample. Whole planes keep the per-call overhead low for small
// images, and rows outside a box are one contiguous copy.
void MixPlane(const SampleMix& s, int64_t height, int64_t width, const float* __restrict x,
              const float* __restrict p, const uint8_t* __restrict mask, float* __restrict o, bool streaming) {
  const int64_t pixels = height * width;
  switch (s.kind) {
    case SampleMix::kBlend:
      Blend(s.lam, 1.0f - s.lam, pixels, x, p, o, streaming);
      return;
    case SampleMix::kBox:
#if defined(__x86_64__)
      if (streaming && CanStreamBoxes(width, o)) {
        StreamBoxPlane(s, height, width, x, p, o);
        return;
      }
#endif
      if (pixels <= kSmallPlane) {
        // Small planes: one copy of the plane, then the box over it while it is in L1 (fewer, larger calls).
        std::memcpy(o, x, pixels * sizeof(float));
        for (int64_t y = s.y0; y < s.y1; ++y) {
          std::memcpy(o + y * width + s.x0, p + y * width + s.x0, (s.x1 - s.x0) * sizeof(float));
        }
        return;
      }
      // Large planes: every pixel written once, from whichever source it comes.
      std::memcpy(o, x, s.y0 * width * sizeof(float));
      for (int64_t y = s.y0; y < s.y1; ++y) {
        const int64_t row = y * width;
        std::memcpy(o + row, x + row, s.x0 * sizeof(float));
        std::memcpy(o + row + s.x0, p + row + s.x0, (s.x1 - s.x0) * sizeof(float));
        std::memcpy(o + row + s.x1, x + row + s.x1, (width - s.x1) * sizeof(float));
      }
      std::memcpy(o + s.y1 * width, x + s.y1 * width, (height - s.y1) * width * sizeof(float));
      return;
    case SampleMix::kMask:
      for (int64_t i = 0; i < pixels; ++i) o[i] = mask[i] ? x[i] : p[i];
      return;
    default:
      std::memcpy(o, x, pixels * sizeof(float));
  }
}

void MixImagesCpu(const at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
                  const at::Tensor& masks, at::Tensor& out) {
  const int64_t channels = images.size(1);
  const int64_t height = images.size(2);
  const int64_t width = images.size(3);
  const int64_t pixels = height * width;
  const float* x = images.data_ptr<float>();
  const float* p = partners.data_ptr<float>();
  const uint8_t* m = masks.defined() ? masks.data_ptr<uint8_t>() : nullptr;
  float* o = out.data_ptr<float>();
  const int64_t grain = std::max<int64_t>(1, 65536 / pixels);
  const bool streaming = out.nbytes() > kStreamingBytes;
  at::parallel_for(0, images.size(0) * channels, grain, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const SampleMix& s = plan[plane / channels];
      const int64_t channel = plane % channels;
      const uint8_t* mask = s.kind == SampleMix::kMask ? m + s.mask * pixels : nullptr;
      MixPlane(s, height, width, x + plane * pixels, p + (s.partner * channels + channel) * pixels, mask,
               o + plane * pixels, streaming);
    }
#if defined(__x86_64__)
    if (streaming) _mm_sfence();  // make this thread's streaming stores visible before the batch is used
#endif
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
