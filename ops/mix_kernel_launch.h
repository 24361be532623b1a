#ifndef STROBE_OPS_MIX_KERNEL_LAUNCH_H_
#define STROBE_OPS_MIX_KERNEL_LAUNCH_H_

// The boundary between C++ and nvcc: raw pointers only, so mix_kernel.cu needs no ATen headers.
#include <cuda_runtime.h>

#include <cstdint>

#include "ops/sample_mix.h"

namespace strobe {

// All pointers are device pointers; `plan` holds `samples` entries. Returns the launch's error, if any.
cudaError_t LaunchMixKernel(const float* images, const float* partners, const SampleMix* plan, const uint8_t* masks,
                            float* out, int64_t samples, int64_t channels, int64_t height, int64_t width,
                            cudaStream_t stream);

}  // namespace strobe

#endif  // STROBE_OPS_MIX_KERNEL_LAUNCH_H_
