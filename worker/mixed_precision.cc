#include "worker/mixed_precision.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_format.h"

// LibTorch 2.4 replaced the per-device autocast functions by ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define STROBE_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace strobe {
namespace {

// Whether `count` floats are all finite, in one pass that tests each value's exponent bits (all ones: an infinity
// or a NaN). LibTorch 1.13's isfinite().all() makes several passes and two temporary tensors on the CPU: 72 ms
// against 7 for ResNet-18's 11.2 million gradients here, most of its optimizer step.
bool FloatsFinite(const float* values, int64_t count) {
  std::atomic<bool> finite{true};
  at::parallel_for(0, count, 1 << 16, [&](int64_t begin, int64_t end) {
    uint32_t special = 0;
    for (int64_t i = begin; i < end; ++i) {
      uint32_t bits;
      std::memcpy(&bits, values + i, sizeof bits);
      special |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
    }
    if (special != 0) finite = false;
  });
  return finite;
}

bool AutocastEnabled(c10::DeviceType device) {
#ifdef STROBE_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

at::ScalarType AutocastDtype(c10::DeviceType device) {
#ifdef STROBE_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                         : at::autocast::get_autocast_cpu_dtype();
#endif
}

void SetAutocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) {
#ifdef STROBE_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(device, enabled);
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

}  // namespace

absl::StatusOr<Precision> ParsePrecision(const std::string& flag, const std::string& name) {
  if (name == "off") return Precision::kFloat32;
  if (name == "bf16") return Precision::kBFloat16;
  if (name == "fp16") return Precision::kFloat16;
  return absl::InvalidArgumentError(absl::StrFormat("--%s=%s: expected off, bf16 or fp16", flag, name));
}

std::string PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kFloat32: return "off";
    case Precision::kBFloat16: return "bf16";
    case Precision::kFloat16: return "fp16";
  }
  return "?";
}

at::ScalarType PrecisionDtype(Precision precision) {
  switch (precision) {
    case Precision::kFloat32: return at::kFloat;
    case Precision::kBFloat16: return at::kBFloat16;
    case Precision::kFloat16: return at::kHalf;
  }
  return at::kFloat;
}

AutocastScope::AutocastScope(c10::DeviceType device, Precision precision) : device_(device) {
  if (precision == Precision::kFloat32) return;
  active_ = true;
  was_enabled_ = AutocastEnabled(device_);
  was_dtype_ = AutocastDtype(device_);
  SetAutocast(device_, true, PrecisionDtype(precision));
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The cache of weights cast to the low precision lives as long as the outermost scope, as in Python.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetAutocast(device_, was_enabled_, was_dtype_);
}

bool AllFinite(const std::vector<at::Tensor>& tensors) {
  at::Tensor all_finite;
  bool cpu_floats_finite = true;
  for (const at::Tensor& tensor : tensors) {
    if (tensor.device().is_cpu() && tensor.scalar_type() == at::kFloat && tensor.is_contiguous()) {
      cpu_floats_finite = cpu_floats_finite && FloatsFinite(tensor.data_ptr<float>(), tensor.numel());
      continue;
    }
    const at::Tensor finite = tensor.isfinite().all();  // on a GPU: no synchronisation until item() below
    all_finite = all_finite.defined() ? all_finite.logical_and(finite) : finite;
  }
  return cpu_floats_finite && (!all_finite.defined() || all_finite.item<bool>());
}

bool DynamicLossScaler::Unscale(const std::vector<at::Tensor>& gradients) {
  if (!AllFinite(gradients)) {
    state_.scale *= 0.5;
    state_.clean_steps = 0;
    return false;
  }
  for (const at::Tensor& gradient : gradients) gradient.mul_(1.0 / state_.scale);
  if (++state_.clean_steps == kGrowthInterval) {
    state_.scale *= 2.0;
    state_.clean_steps = 0;
  }
  return true;
}

}  // namespace strobe
