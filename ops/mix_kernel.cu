#include "ops/mix_kernel_launch.h"

namespace strobe {
namespace {

// One thread per output pixel (grid-stride): consecutive threads touch consecutive pixels of a row, so every
// load and store is coalesced; the plan entry of a sample is shared by its threads through the cache.
__global__ void MixKernel(const float* __restrict__ images, const float* __restrict__ partners,
                          const SampleMix* __restrict__ plan, const uint8_t* __restrict__ masks,
                          float* __restrict__ out, int64_t total, int64_t channels, int64_t height, int64_t width) {
  const int64_t image_size = channels * height * width;
  const int64_t plane = height * width;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t n = i / image_size;
    const int64_t within = i - n * image_size;
    const int64_t pixel = within % plane;
    const int64_t y = pixel / width;
    const int64_t x = pixel - y * width;
    const SampleMix s = plan[n];
    const float own = images[i];
    float value = own;
    if (s.kind == SampleMix::kBlend) {
      value = s.lam * own + (1.0f - s.lam) * partners[s.partner * image_size + within];
    } else if (s.kind == SampleMix::kBox) {
      if (y >= s.y0 && y < s.y1 && x >= s.x0 && x < s.x1) value = partners[s.partner * image_size + within];
    } else if (s.kind == SampleMix::kMask) {
      if (!masks[static_cast<int64_t>(s.mask) * plane + pixel]) value = partners[s.partner * image_size + within];
    }
    out[i] = value;
  }
}

}  // namespace

cudaError_t LaunchMixKernel(const float* images, const float* partners, const SampleMix* plan, const uint8_t* masks,
                            float* out, int64_t samples, int64_t channels, int64_t height, int64_t width,
                            cudaStream_t stream) {
  const int64_t total = samples * channels * height * width;
  constexpr int kThreads = 256;
  const int64_t wanted = (total + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(wanted < 65535 * 32 ? wanted : 65535 * 32);
  MixKernel<<<blocks, kThreads, 0, stream>>>(images, partners, plan, masks, out, total, channels, height, width);
  return cudaGetLastError();
}

}  // namespace strobe
