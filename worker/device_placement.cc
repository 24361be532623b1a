#include "worker/device_placement.h"

#include <ATen/ATen.h>
#include <torch/cuda.h>
#ifdef STROBE_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

#include "absl/strings/str_format.h"

namespace strobe {

at::Tensor Placement::Images(const at::Tensor& images) const {
  const at::Tensor placed = ToDevice(images);
  return channels_last ? placed.contiguous(at::MemoryFormat::ChannelsLast) : placed;
}

at::Tensor Placement::ToDevice(const at::Tensor& host) const {
  if (host.device() == device) return host;
  const at::Tensor pinned = host.is_cuda() || host.is_pinned() ? host : host.pin_memory();
  return pinned.to(device, /*non_blocking=*/true);
}

absl::StatusOr<bool> DeviceFlagMeansGpu(const std::string& flag) {
  if (flag == "cpu") return false;
  if (flag == "cuda") return true;
  if (flag == "auto") {
#ifdef STROBE_WITH_CUDA
    return true;
#else
    return false;
#endif
  }
  return absl::InvalidArgumentError(absl::StrFormat("--device=%s: expected auto, cpu or cuda", flag));
}

absl::StatusOr<c10::Device> ResolveTrainingDevice(const std::string& flag, const DistributedContext& context) {
  absl::StatusOr<bool> gpu = DeviceFlagMeansGpu(flag);
  if (!gpu.ok()) return gpu.status();
  if (!*gpu) return c10::Device(c10::kCPU);
#ifdef STROBE_WITH_CUDA
  const c10::Device device(c10::kCUDA, static_cast<c10::DeviceIndex>(context.local_rank));
  if (static_cast<int>(torch::cuda::device_count()) > context.local_rank) c10::cuda::set_device(device.index());
  return device;  // a host with too few GPUs is reported by the communicator's start-up check, naming the rank
#else
  (void)context;
  return absl::FailedPreconditionError(
      "--device=cuda: this strobe was built without CUDA; configure it against a CUDA LibTorch (docs/gpu.md)");
#endif
}

void PlaceModel(Classifier& model, const Placement& placement) {
  model.to(placement.device);
  if (!placement.channels_last) return;
  at::NoGradGuard no_grad;
  for (at::Tensor& parameter : model.parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
  }
}

}  // namespace strobe
