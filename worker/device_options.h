#ifndef STROBE_WORKER_DEVICE_OPTIONS_H_
#define STROBE_WORKER_DEVICE_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "worker/mixed_precision.h"

namespace strobe {

// Where and in which precision and memory format a rank computes, on how many threads, and how its gradients
// travel (bucket size, wire dtype). docs/gpu.md.
struct DeviceOptions {
  std::string device = "auto";  // auto (cuda in a CUDA build, else cpu) | cpu | cuda
  Precision amp = Precision::kFloat32;               // autocast of the forward pass
  Precision grad_compression = Precision::kFloat32;  // the dtype gradients are all-reduced in
  bool cudnn_benchmark = true;  // cuDNN times its convolution algorithms per shape and keeps the fastest
  bool channels_last = false;   // batches and 4-D weights in the channels-last memory format
  int threads = 0;              // threads computing a rank's step, all together; 0: host cores / its ranks
  int64_t bucket_cap_mb = 25;   // gradients are averaged in buckets of at most this many MiB

  // Includes the GPU-only settings' need for --device=cuda.
  absl::Status Validate() const;

  int64_t bucket_cap_bytes() const { return bucket_cap_mb * 1024 * 1024; }

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("device", self.device);
    visit("amp", self.amp, ParseAmp, PrecisionName);
    visit("grad_compression", self.grad_compression, ParseGradCompression, PrecisionName);
    visit("cudnn_benchmark", self.cudnn_benchmark);
    visit("channels_last", self.channels_last);
    visit("threads", self.threads);
    visit("bucket_cap_mb", self.bucket_cap_mb);
  }

 private:
  static absl::StatusOr<Precision> ParseAmp(const std::string& name) { return ParsePrecision("amp", name); }
  static absl::StatusOr<Precision> ParseGradCompression(const std::string& name) {
    return ParsePrecision("grad_compression", name);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_DEVICE_OPTIONS_H_
