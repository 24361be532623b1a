#include "worker/cpu_bf16.h"

#include <ATen/ATen.h>

#include <exception>

#include "absl/strings/str_format.h"
#include "worker/mixed_precision.h"

namespace strobe {

bool CpuComputesBf16() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
#else
  return false;  // Arm's BF16 extension: whether LibTorch's oneDNN uses it is not established here
#endif
}

absl::Status ProbeCpuAutocastBf16() {
  c10::AutoGradMode gradients(true);  // the probe's backward needs them whatever the caller's mode
  try {
    const at::Tensor images = at::ones({2, 3, 8, 8});
    const at::Tensor filters = at::full({4, 3, 3, 3}, 0.5).requires_grad_();
    const at::Tensor weights = at::full({5, 4 * 8 * 8}, 0.25).requires_grad_();
    at::Tensor outputs;
    {
      AutocastScope autocast(c10::DeviceType::CPU, Precision::kBFloat16);
      outputs = at::linear(at::conv2d(images, filters, {}, 1, 1).flatten(1), weights);
    }
    outputs.to(at::kFloat).sum().backward();
  } catch (const std::exception& error) {
    const std::string what = error.what();
    return absl::FailedPreconditionError(absl::StrFormat(
        "--amp=bf16: this LibTorch cannot compute bf16 convolutions on this CPU (\"%s\"): use --amp=off",
        what.substr(0, what.find('\n'))));
  }
  return absl::OkStatus();
}

std::string DescribeRanksEmulatingBf16(const std::vector<bool>& computes_bf16) {
  int emulating = 0;
  int first = -1;
  for (int rank = 0; rank < static_cast<int>(computes_bf16.size()); ++rank) {
    if (computes_bf16[rank]) continue;
    ++emulating;
    if (first < 0) first = rank;
  }
  if (emulating == 0) return "";
  return absl::StrFormat(
      "--amp=bf16 on the CPU: %d of %d ranks (the first: rank %d) run on CPUs without bf16 instructions "
      "(AVX512-BF16, AMX-BF16), where bf16 is emulated: expect every step to be slower than with --amp=off",
      emulating, static_cast<int>(computes_bf16.size()), first);
}

}  // namespace strobe
