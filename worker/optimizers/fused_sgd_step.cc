#include "worker/optimizers/fused_sgd_step.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "ops/avx2.h"

namespace strobe {
namespace {

// The scalars as LibTorch's kernels take them: converted to float.
struct FloatSettings {
  float weight_decay, momentum, minus_lr;
  bool nesterov;
};

template <bool kDecay, bool kNesterov>
STROBE_FOR_AVX2_FMA void StepElements(float* param, const float* grad, float* buffer, int64_t begin, int64_t end,
                                      const FloatSettings& s) {
  for (int64_t i = begin; i < end; ++i) {
    const float direction = kDecay ? std::fma(s.weight_decay, param[i], grad[i]) : grad[i];
    const float momentum = buffer[i] * s.momentum + direction;
    buffer[i] = momentum;
    const float step = kNesterov ? std::fma(s.momentum, momentum, direction) : momentum;
    param[i] = std::fma(s.minus_lr, step, param[i]);
  }
}

template <bool kDecay>
void StepRange(float* param, const float* grad, float* buffer, int64_t begin, int64_t end, const FloatSettings& s) {
  if (s.nesterov) {
    StepElements<kDecay, true>(param, grad, buffer, begin, end, s);
  } else {
    StepElements<kDecay, false>(param, grad, buffer, begin, end, s);
  }
}

void StepUnchecked(const at::Tensor& param, const at::Tensor& grad, const at::Tensor& buffer,
                   const SgdStepSettings& settings) {
  const FloatSettings s{static_cast<float>(settings.weight_decay), static_cast<float>(settings.momentum),
                        static_cast<float>(-settings.lr), settings.nesterov};
  float* p = param.data_ptr<float>();
  const float* g = grad.data_ptr<float>();
  float* b = buffer.data_ptr<float>();
  const bool decay = settings.weight_decay != 0;
  at::parallel_for(0, param.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
    if (decay) {
      StepRange<true>(p, g, b, begin, end, s);
    } else {
      StepRange<false>(p, g, b, begin, end, s);
    }
  });
  // Written in place as the foreach kernels write them: their versions change, as autograd's checks expect.
  torch::autograd::impl::bump_version(param);
  torch::autograd::impl::bump_version(buffer);
}

bool BitwiseEqual(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes() == b.sizes() && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

// Three steps of torch::optim::SGD against its first step followed by two fused ones (the third shows the fused
// momentum buffer exact), bitwise, with and without weight decay and Nesterov, on a size with a vector tail.
// Deterministic values: torch's generator is not touched.
bool MatchesTorchSgd() {
  c10::InferenceMode normal_mode(false);
  torch::NoGradGuard no_grad;
  const at::Tensor ramp = torch::arange(1037, torch::kFloat);
  for (const double weight_decay : {0.0, 5e-4}) {
    for (const bool nesterov : {false, true}) {
      const SgdStepSettings settings{0.1, weight_decay, 0.9, nesterov};
      at::Tensor param = torch::sin(ramp * 0.37).requires_grad_(true);
      torch::optim::SGD reference({param}, torch::optim::SGDOptions(settings.lr)
                                               .momentum(settings.momentum)
                                               .weight_decay(weight_decay)
                                               .nesterov(nesterov));
      at::Tensor grad = torch::cos(ramp * 0.11) * 0.3;
      // The first step's buffer is its direction, as torch.optim.SGD starts it.
      at::Tensor buffer = weight_decay != 0 ? grad.add(param.detach(), weight_decay) : grad.clone();
      param.mutable_grad() = grad;
      reference.step();
      at::Tensor fused = param.detach().clone();
      for (int step = 2; step <= 3; ++step) {
        param.mutable_grad() = torch::sin(ramp * 0.05 + step) * 0.2;
        reference.step();
        StepUnchecked(fused, param.grad(), buffer, settings);
        if (!BitwiseEqual(fused, param.detach())) return false;
      }
    }
  }
  return true;
}

// A float32 CPU tensor laid out as `param` is, over one dense block of memory (contiguous, or channels-last as
// --channels_last makes convolution weights): the update is per element, so the three walk their memory together.
bool LaidOutAs(const at::Tensor& tensor, const at::Tensor& param) {
  return tensor.defined() && tensor.device().is_cpu() && tensor.scalar_type() == at::kFloat &&
         tensor.sizes() == param.sizes() && tensor.strides() == param.strides() &&
         tensor.is_non_overlapping_and_dense();
}

}  // namespace

bool FusedSgdStepRuns() {
  static const bool matches = CpuRunsAvx2FmaKernels() && MatchesTorchSgd();
  return matches;
}

bool CanFuseSgdStep(const at::Tensor& param, const at::Tensor& grad, const at::Tensor& buffer) {
  return param.defined() && LaidOutAs(param, param) && LaidOutAs(grad, param) && LaidOutAs(buffer, param) &&
         FusedSgdStepRuns();
}

void FusedSgdStep(const at::Tensor& param, const at::Tensor& grad, const at::Tensor& buffer,
                  const SgdStepSettings& settings) {
  TORCH_CHECK(CanFuseSgdStep(param, grad, buffer), "FusedSgdStep: cannot fuse a parameter of ", param.sizes());
  StepUnchecked(param, grad, buffer, settings);
}

}  // namespace strobe
