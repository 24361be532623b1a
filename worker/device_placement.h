#ifndef STROBE_WORKER_DEVICE_PLACEMENT_H_
#define STROBE_WORKER_DEVICE_PLACEMENT_H_

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <string>

#include "absl/status/statusor.h"
#include "ops/distributed_context.h"
#include "worker/mixed_precision.h"
#include "worker/models/classifier.h"

namespace strobe {

// Where a rank's model computes, in which memory format and precision; every batch it trains or evaluates on is
// brought there.
struct Placement {
  c10::Device device = c10::Device(c10::kCPU);
  bool channels_last = false;
  Precision precision = Precision::kFloat32;  // of the forward pass (autocast)

  // A batch tensor from host memory, copied asynchronously from pinned memory (pinned first if the source did not
  // already); unchanged if it is already on the device.
  at::Tensor ToDevice(const at::Tensor& host) const;
  // Images [N, C, H, W] on the device, in the model's memory format.
  at::Tensor Images(const at::Tensor& images) const;
};

// Whether --device asks for GPUs: cuda does, cpu does not, auto does in a CUDA build (decided by the build, never
// by what a machine happens to have). An error names any other value.
absl::StatusOr<bool> DeviceFlagMeansGpu(const std::string& flag);

// --device as a device: the CPU, or GPU `local_rank` (as NCCL's), which becomes this process's current device. A
// GPU in a build without CUDA is an error.
absl::StatusOr<c10::Device> ResolveTrainingDevice(const std::string& flag, const DistributedContext& context);

// Moves the model's parameters and buffers to placement.device and, with channels_last, gives its 4-D weights the
// channels-last layout (cuDNN's fast path for convolutions). Call before the optimizer and the gradient buckets are
// built: both take the parameters' layout.
void PlaceModel(Classifier& model, const Placement& placement);

}  // namespace strobe

#endif  // STROBE_WORKER_DEVICE_PLACEMENT_H_
