#include "augment/kernels/mix_kernel_cuda.h"

#include <ATen/ATen.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "augment/kernels/mix_kernel_launch.h"

namespace strobe {

void MixImagesCuda(const at::Tensor& images, const at::Tensor& partners, const std::vector<SampleMix>& plan,
                   const at::Tensor& masks, at::Tensor& out) {
  c10::cuda::CUDAGuard guard(images.device());
  at::Tensor device_plan;
  if (static_cast<int64_t>(plan.size()) > MaxPlanInParameters()) {
    const auto bytes = static_cast<int64_t>(plan.size() * sizeof(SampleMix));
    at::Tensor pinned = at::empty({bytes}, at::TensorOptions().dtype(at::kByte).pinned_memory(true));
    std::memcpy(pinned.data_ptr(), plan.data(), bytes);
    device_plan = pinned.to(images.device(), /*non_blocking=*/true);
  }
  const cudaError_t error = LaunchMixKernel(
      images.data_ptr<float>(), partners.data_ptr<float>(), plan.data(),
      device_plan.defined() ? static_cast<const SampleMix*>(device_plan.data_ptr()) : nullptr,
      masks.defined() ? masks.data_ptr<uint8_t>() : nullptr, out.data_ptr<float>(), images.size(0),
      images.size(1), images.size(2), images.size(3), c10::cuda::getCurrentCUDAStream().stream());
  if (error != cudaSuccess) {
    throw std::runtime_error(std::string("MixImages: CUDA kernel launch failed: ") + cudaGetErrorString(error));
  }
}

}  // namespace strobe
