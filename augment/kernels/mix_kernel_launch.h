#ifndef STROBE_AUGMENT_KERNELS_MIX_KERNEL_LAUNCH_H_
#define STROBE_AUGMENT_KERNELS_MIX_KERNEL_LAUNCH_H_

// The boundary between C++ and nvcc: raw pointers only, so mix_kernel.cu needs no ATen headers.
#include <cuda_runtime.h>

#include <cstdint>

#include "augment/kernels/sample_mix.h"

namespace strobe {

// How many samples' plans travel in the kernel's parameters rather than through an upload before the launch (which
// took longer than the kernel itself for small batches, docs/gpu.md): 256 where the toolkit and the driver allow
// 32 KB of parameters (CUDA 12.1 and newer), 64 otherwise. Decided where the kernel is compiled.
int64_t MaxPlanInParameters();

// `host_plan` holds `samples` entries in host memory; `device_plan` is a device copy of it, needed (non-null) only
// for more than MaxPlanInParameters() samples. All other pointers are device pointers. Returns the launch's error.
cudaError_t LaunchMixKernel(const float* images, const float* partners, const SampleMix* host_plan,
                            const SampleMix* device_plan, const uint8_t* masks, float* out, int64_t samples,
                            int64_t channels, int64_t height, int64_t width, cudaStream_t stream);

}  // namespace strobe

#endif  // STROBE_AUGMENT_KERNELS_MIX_KERNEL_LAUNCH_H_
