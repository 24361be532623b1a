#ifndef STROBE_WORKER_MIXED_PRECISION_H_
#define STROBE_WORKER_MIXED_PRECISION_H_

#include <ATen/core/Tensor.h>
#include <c10/core/DeviceType.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// --amp: the dtype the forward pass computes in where autocast allows it (matrix products and convolutions);
// weights, gradients, the optimizer and the loss stay float32.
enum class Precision { kFloat32, kBFloat16, kFloat16 };

// off | bf16 | fp16, for the flag `flag` (named in the error).
absl::StatusOr<Precision> ParsePrecision(const std::string& flag, const std::string& name);
std::string PrecisionName(Precision precision);
// kFloat, kBFloat16 or kHalf.
at::ScalarType PrecisionDtype(Precision precision);

// Autocast for the forward pass on `device` (CUDA: bf16 or fp16; CPU: bf16) while in scope, as Python's
// torch.autocast; restores the previous setting on exit. A no-op for kFloat32.
class AutocastScope {
 public:
  AutocastScope(c10::DeviceType device, Precision precision);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_;
  bool active_ = false;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

// Whether every value of every tensor is finite, with one host synchronisation for all of them.
bool AllFinite(const std::vector<at::Tensor>& tensors);

// Dynamic loss scaling for fp16 (as torch.cuda.amp.GradScaler, with its defaults): the loss is multiplied by
// scale() before backward so small gradients do not flush to zero in fp16; the averaged gradients are divided by
// it again, or, if any overflowed, the update is skipped and the scale halved. After kGrowthInterval clean steps
// in a row the scale doubles. Gradients are averaged over ranks before the check, so every rank takes the same
// decision without communicating. Its state belongs in the checkpoint.
class DynamicLossScaler {
 public:
  struct State {
    double scale = 65536.0;
    int64_t clean_steps = 0;  // finite steps since the scale last changed
  };
  static constexpr int64_t kGrowthInterval = 2000;

  double scale() const { return state_.scale; }
  // True: every gradient was finite and is now unscaled in place; apply the update. False: skip it.
  bool Unscale(const std::vector<at::Tensor>& gradients);

  const State& state() const { return state_; }
  void Restore(const State& state) { state_ = state; }

 private:
  State state_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_MIXED_PRECISION_H_
