#include <cstdint>

#include "augment/kernels/mix_kernel_launch.h"

namespace strobe {
namespace {

// Grid: x indexes the image planes (sample n, channel c); y tiles one plane. Every thread of a block works on the
// same sample, so the plan entry is read once per thread from a broadcast load and the branch on its kind never
// diverges. Threads move kLanes consecutive floats (a 16-byte vector when kLanes == 4: the launcher checks that
// rows are whole vectors and the buffers aligned), and read each pixel only from the image it comes from, so a
// CutMix copies 2 bytes per output byte, a Mixup 3.
constexpr int kVectorsPerThread = 4;  // per tile; see MixPlanesKernel

template <int kLanes>
struct Pixels {
  float v[kLanes];
};

template <int kLanes>
__device__ __forceinline__ Pixels<kLanes> Load(const float* p) {
  Pixels<kLanes> out;
  if constexpr (kLanes == 4) {
    const float4 q = *reinterpret_cast<const float4*>(p);
    out.v[0] = q.x;
    out.v[1] = q.y;
    out.v[2] = q.z;
    out.v[3] = q.w;
  } else {
#pragma unroll
    for (int k = 0; k < kLanes; ++k) out.v[k] = p[k];
  }
  return out;
}

template <int kLanes>
__device__ __forceinline__ void Store(float* p, const Pixels<kLanes>& in) {
  if constexpr (kLanes == 4) {
    *reinterpret_cast<float4*>(p) = make_float4(in.v[0], in.v[1], in.v[2], in.v[3]);
  } else {
#pragma unroll
    for (int k = 0; k < kLanes; ++k) p[k] = in.v[k];
  }
}

// This thread's kLanes output pixels starting at p of one plane.
template <int kLanes>
__device__ __forceinline__ Pixels<kLanes> MixPixels(const SampleMix& s, const float* own, const float* theirs,
                                                    const uint8_t* mask, int p, int width) {
  if (s.kind == SampleMix::kBlend) {
    Pixels<kLanes> a = Load<kLanes>(own + p);
    const Pixels<kLanes> b = Load<kLanes>(theirs + p);
#pragma unroll
    for (int k = 0; k < kLanes; ++k) a.v[k] = s.lam * a.v[k] + (1.0f - s.lam) * b.v[k];
    return a;
  }
  // kCopy, kBox, kMask: each pixel is taken from one image. Lanes share a row (rows are whole vectors). Where all
  // lanes take the same image (all but the vectors on a box's or mask's edge) one load from that image serves
  // them, chosen by pointer, so the threads of a warp do not diverge.
  const int y = p / width;
  const int x = p - y * width;
  bool from_partner[kLanes];
#pragma unroll
  for (int k = 0; k < kLanes; ++k) {
    if (s.kind == SampleMix::kBox) {
      from_partner[k] = y >= s.y0 && y < s.y1 && x + k >= s.x0 && x + k < s.x1;
    } else if (s.kind == SampleMix::kMask) {
      from_partner[k] = mask[p + k] == 0;
    } else {
      from_partner[k] = false;
    }
  }
  bool uniform = true;
#pragma unroll
  for (int k = 1; k < kLanes; ++k) uniform &= from_partner[k] == from_partner[0];
  if (uniform) return Load<kLanes>((from_partner[0] ? theirs : own) + p);
  Pixels<kLanes> a = Load<kLanes>(own + p);
  const Pixels<kLanes> b = Load<kLanes>(theirs + p);
#pragma unroll
  for (int k = 0; k < kLanes; ++k) a.v[k] = from_partner[k] ? b.v[k] : a.v[k];
  return a;
}

// Where the kernel reads the plan: device memory, or its own parameters (no upload before the launch).
struct PlanInDeviceMemory {
  const SampleMix* entries;
  __device__ SampleMix operator[](int64_t n) const { return entries[n]; }
};
#if CUDART_VERSION < 11070
#error "the mixing kernel needs CUDA 11.7 or newer (__grid_constant__)"
#elif CUDART_VERSION >= 12010
constexpr int kPlanCapacity = 256;  // 10 KB of parameters: CUDA 12.1 raised their limit from 4 KB to 32 KB
#else
constexpr int kPlanCapacity = 64;
#endif
struct PlanInParameters {
  SampleMix entries[kPlanCapacity];
  __device__ SampleMix operator[](int64_t n) const { return entries[n]; }
};
constexpr size_t kClassicParameterLimit = 4096 - 128;  // less the kernel's other parameters

// Each thread mixes kVectorsPerThread vectors a block apart, all loads before any store: a CutMix pixel needs one
// load, so without this a thread would have too little memory traffic in flight to reach the copy bandwidth.
template <int kLanes, typename Plan>
__global__ void MixPlanesKernel(const float* __restrict__ images, const float* __restrict__ partners,
                                const __grid_constant__ Plan plan, const uint8_t* __restrict__ masks,
                                float* __restrict__ out, int channels, int height, int width) {
  const int plane_size = height * width;
  const int64_t plane = blockIdx.x;
  const int64_t n = plane / channels;
  const int c = static_cast<int>(plane - n * channels);
  const SampleMix s = plan[n];
  const float* own = images + plane * plane_size;
  const float* theirs = partners + (s.partner * channels + c) * static_cast<int64_t>(plane_size);
  const uint8_t* mask = s.kind == SampleMix::kMask ? masks + static_cast<int64_t>(s.mask) * plane_size : nullptr;
  float* dst = out + plane * plane_size;
  const int tile = blockDim.x * kLanes * kVectorsPerThread;
  for (int base = blockIdx.y * tile; base < plane_size; base += gridDim.y * tile) {
    Pixels<kLanes> mixed[kVectorsPerThread];
#pragma unroll
    for (int u = 0; u < kVectorsPerThread; ++u) {
      const int p = base + (u * blockDim.x + threadIdx.x) * kLanes;
      if (p < plane_size) mixed[u] = MixPixels<kLanes>(s, own, theirs, mask, p, width);
    }
#pragma unroll
    for (int u = 0; u < kVectorsPerThread; ++u) {
      const int p = base + (u * blockDim.x + threadIdx.x) * kLanes;
      if (p < plane_size) Store<kLanes>(dst + p, mixed[u]);
    }
  }
}

bool Aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <int kLanes, typename Plan>
void Launch(dim3 grid, int threads, cudaStream_t stream, const float* images, const float* partners, const Plan& plan,
            const uint8_t* masks, float* out, int64_t channels, int64_t height, int64_t width) {
  MixPlanesKernel<kLanes, Plan><<<grid, threads, 0, stream>>>(images, partners, plan, masks, out,
                                                              static_cast<int>(channels), static_cast<int>(height),
                                                              static_cast<int>(width));
}

template <int kLanes>
void LaunchWithPlan(dim3 grid, int threads, cudaStream_t stream, const float* images, const float* partners,
                    const SampleMix* host_plan, const SampleMix* device_plan, const uint8_t* masks, float* out,
                    int64_t samples, int64_t channels, int64_t height, int64_t width) {
  if (samples <= MaxPlanInParameters()) {
    PlanInParameters plan;
    for (int64_t i = 0; i < samples; ++i) plan.entries[i] = host_plan[i];
    Launch<kLanes>(grid, threads, stream, images, partners, plan, masks, out, channels, height, width);
  } else {
    Launch<kLanes>(grid, threads, stream, images, partners, PlanInDeviceMemory{device_plan}, masks, out, channels,
                   height, width);
  }
}

}  // namespace

int64_t MaxPlanInParameters() {
  // Parameters beyond 4 KB also need a CUDA 12.1 driver, which an older one running a newer toolkit's code lacks.
  static const int64_t limit = [] {
    if (sizeof(PlanInParameters) <= kClassicParameterLimit) return int64_t{kPlanCapacity};
    int driver = 0;
    return cudaDriverGetVersion(&driver) == cudaSuccess && driver >= 12010 ? int64_t{kPlanCapacity} : int64_t{0};
  }();
  return limit;
}

cudaError_t LaunchMixKernel(const float* images, const float* partners, const SampleMix* host_plan,
                            const SampleMix* device_plan, const uint8_t* masks, float* out, int64_t samples,
                            int64_t channels, int64_t height, int64_t width, cudaStream_t stream) {
  const int64_t planes = samples * channels;
  if (planes == 0 || height * width == 0) return cudaSuccess;
  if (planes > INT32_MAX || height * width > (int64_t{1} << 30)) return cudaErrorInvalidValue;  // int offsets
  if (samples > MaxPlanInParameters() && device_plan == nullptr) return cudaErrorInvalidValue;
  constexpr int kThreads = 256;
  const bool vector = width % 4 == 0 && Aligned16(images) && Aligned16(partners) && Aligned16(out);
  const int lanes = vector ? 4 : 1;
  const int64_t per_block = int64_t{kThreads} * lanes * kVectorsPerThread;
  const int64_t tiles = (height * width + per_block - 1) / per_block;
  const dim3 grid(static_cast<unsigned>(planes), static_cast<unsigned>(tiles < 65535 ? tiles : 65535));
  if (vector) {
    LaunchWithPlan<4>(grid, kThreads, stream, images, partners, host_plan, device_plan, masks, out, samples,
                      channels, height, width);
  } else {
    LaunchWithPlan<1>(grid, kThreads, stream, images, partners, host_plan, device_plan, masks, out, samples,
                      channels, height, width);
  }
  return cudaGetLastError();
}

}  // namespace strobe
