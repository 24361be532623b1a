#include "worker/device_options.h"

#include "absl/strings/str_format.h"
#include "ops/option_checks.h"
#include "worker/device_placement.h"

namespace strobe {

absl::Status DeviceOptions::Validate() const {
  if (absl::Status counts = FirstError({CheckNonNegative("threads", int64_t{threads}),
                                        CheckPositive("bucket_cap_mb", bucket_cap_mb)});
      !counts.ok()) {
    return counts;
  }
  absl::StatusOr<bool> trains_on_gpu = DeviceFlagMeansGpu(device);
  if (!trains_on_gpu.ok()) return trains_on_gpu.status();
  if (amp == Precision::kFloat16 && !*trains_on_gpu) {
    return absl::InvalidArgumentError(
        "--amp=fp16 needs --device=cuda: autocast on the CPU computes in bf16 only (use --amp=bf16)");
  }
  if (grad_compression != Precision::kFloat32 && !*trains_on_gpu) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--grad_compression=%s needs --device=cuda: the MPI data plane has no 16-bit float types",
        PrecisionName(grad_compression)));
  }
  return absl::OkStatus();
}

}  // namespace strobe
