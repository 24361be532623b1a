#include "worker/models/batch_norm_relu.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ops/avx2.h"

namespace strobe {
namespace {

// Channels whose sums run side by side: each addition waits for the one before it in its own channel only, so
// eight chains keep the adders busy where one leaves them idle most cycles.
constexpr int64_t kChains = 8;

struct Shape {
  int64_t batch, channels, image;  // image: values per channel per sample (H * W)
};

Shape ShapeOf(const at::Tensor& input) {
  return {input.size(0), input.size(1), input.numel() / input.size(0) / input.size(1)};
}

// LibTorch's statistics for channels [first, first + kCount), in its order: the sum of the values in double, the
// mean rounded to float, then the sum of the squared float deviations in double, rounded to float.
template <int64_t kCount>
STROBE_FOR_AVX2_FMA void SumChannels(const float* x, const Shape& shape, int64_t first, float* mean, float* var_sum) {
  const double values = static_cast<double>(shape.batch * shape.image);
  double sum[kCount] = {};
  for (int64_t n = 0; n < shape.batch; ++n) {
    const float* block = x + (n * shape.channels + first) * shape.image;
    for (int64_t i = 0; i < shape.image; ++i) {
      for (int64_t k = 0; k < kCount; ++k) sum[k] += block[k * shape.image + i];
    }
  }
  float centre[kCount];
  for (int64_t k = 0; k < kCount; ++k) centre[k] = mean[first + k] = static_cast<float>(sum[k] / values);
  double squares[kCount] = {};
  for (int64_t n = 0; n < shape.batch; ++n) {
    const float* block = x + (n * shape.channels + first) * shape.image;
    for (int64_t i = 0; i < shape.image; ++i) {
      for (int64_t k = 0; k < kCount; ++k) {
        const float deviation = block[k * shape.image + i] - centre[k];
        squares[k] += deviation * deviation;
      }
    }
  }
  for (int64_t k = 0; k < kCount; ++k) var_sum[first + k] = static_cast<float>(squares[k]);
}

template <int64_t kCount = kChains>
void SumChannelGroup(const float* x, const Shape& shape, int64_t first, int64_t count, float* mean, float* var_sum) {
  if constexpr (kCount > 1) {
    if (count < kCount) return SumChannelGroup<kCount - 1>(x, shape, first, count, mean, var_sum);
  }
  SumChannels<kCount>(x, shape, first, mean, var_sum);
}

// The batch statistics as native_batch_norm saves them (mean, 1 / sqrt(biased variance + eps)), with the running
// statistics updated in place as its CPU kernel updates them.
struct Statistics {
  at::Tensor mean;
  at::Tensor invstd;
};

Statistics BatchStatistics(const at::Tensor& input, const at::Tensor& running_mean, const at::Tensor& running_var,
                           double momentum, double eps) {
  const Shape shape = ShapeOf(input);
  at::Tensor mean = at::empty({shape.channels}, input.options());
  at::Tensor var_sum = at::empty({shape.channels}, input.options());
  const float* x = input.data_ptr<float>();
  float* mean_data = mean.data_ptr<float>();
  float* var_sum_data = var_sum.data_ptr<float>();
  // Groups of up to kChains channels, smaller where that leaves threads idle (each channel's sum is its own chain
  // whatever its group, so the grouping changes no bit).
  const int64_t per_group = std::clamp<int64_t>(shape.channels / at::get_num_threads(), 1, kChains);
  const int64_t groups = (shape.channels + per_group - 1) / per_group;
  at::parallel_for(0, groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t group = begin; group < end; ++group) {
      const int64_t first = group * per_group;
      SumChannelGroup(x, shape, first, std::min(per_group, shape.channels - first), mean_data, var_sum_data);
    }
  });
  const int64_t values = shape.batch * shape.image;
  at::Tensor invstd = at::empty({shape.channels}, input.options());
  float* invstd_data = invstd.data_ptr<float>();
  float* running_mean_data = running_mean.data_ptr<float>();
  float* running_var_data = running_var.data_ptr<float>();
  // LibTorch's arithmetic, type for type: the momentum in float, the variances divided in float, the inverse
  // standard deviation and the running variance in double.
  const float momentum_f = static_cast<float>(momentum);
  for (int64_t c = 0; c < shape.channels; ++c) {
    const double variance = var_sum_data[c] / values;
    invstd_data[c] = (variance != 0 || eps != 0) ? static_cast<float>(1.0 / std::sqrt(variance + eps)) : 0.0f;
    running_mean_data[c] = momentum_f * mean_data[c] + (1 - momentum_f) * running_mean_data[c];
    const double unbiased = var_sum_data[c] / (values - 1);
    running_var_data[c] = static_cast<float>(momentum_f * unbiased + (1 - momentum_f) * running_var_data[c]);
  }
  // Written in place as native_batch_norm writes them: their versions change, as autograd's checks expect.
  torch::autograd::impl::bump_version(running_mean);
  torch::autograd::impl::bump_version(running_var);
  return {mean, invstd};
}

// output = relu(input * alpha + beta [+ residual]) per channel, with alpha = invstd * weight and beta = bias - mean
// * alpha: LibTorch's vectorised kernels compute both with one rounding (fused multiply-add), so this does too.
STROBE_FOR_AVX2_FMA void NormaliseChannel(const float* x, const float* residual, float alpha, float beta,
                                          int64_t count, float* out) {
  if (residual != nullptr) {
    for (int64_t i = 0; i < count; ++i) {
      const float value = std::fma(x[i], alpha, beta) + residual[i];
      out[i] = value < 0.0f ? 0.0f : value;  // NaN passes, as torch::relu's
    }
  } else {
    for (int64_t i = 0; i < count; ++i) {
      const float value = std::fma(x[i], alpha, beta);
      out[i] = value < 0.0f ? 0.0f : value;
    }
  }
}

// beta = bias - mean * alpha with one rounding, in a function of its own so that it is compiled with FMA.
STROBE_FOR_AVX2_FMA float ShiftOf(float mean, float alpha, float bias) {
  return std::fma(-mean, alpha, bias);
}

at::Tensor Normalise(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                     const Statistics& stats, const at::Tensor& residual) {
  const Shape shape = ShapeOf(input);
  std::vector<float> alpha(shape.channels);
  std::vector<float> beta(shape.channels);
  const float* mean = stats.mean.data_ptr<float>();
  const float* invstd = stats.invstd.data_ptr<float>();
  const float* weight_data = weight.data_ptr<float>();
  const float* bias_data = bias.data_ptr<float>();
  for (int64_t c = 0; c < shape.channels; ++c) {
    alpha[c] = invstd[c] * weight_data[c];
    beta[c] = ShiftOf(mean[c], alpha[c], bias_data[c]);
  }
  at::Tensor output = at::empty_like(input);
  const float* x = input.data_ptr<float>();
  const float* r = residual.defined() ? residual.data_ptr<float>() : nullptr;
  float* out = output.data_ptr<float>();
  at::parallel_for(0, shape.batch * shape.channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t block = begin; block < end; ++block) {
      const int64_t c = block % shape.channels;
      const int64_t offset = block * shape.image;
      NormaliseChannel(x + offset, r != nullptr ? r + offset : nullptr, alpha[c], beta[c], shape.image,
                       out + offset);
    }
  });
  return output;
}

// Backward as autograd runs the unfused operations: ReLU's (threshold_backward on the output), the residual add's
// (the same gradient to both terms), BatchNorm's (native_batch_norm_backward with the saved statistics).
template <bool kResidual>
class BatchNormReLUFunction : public torch::autograd::Function<BatchNormReLUFunction<kResidual>> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& input,
                            const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& residual,
                            const at::Tensor& mean, const at::Tensor& invstd, double eps) {
    at::Tensor output = Normalise(input, weight, bias, {mean, invstd}, kResidual ? residual : at::Tensor());
    context->save_for_backward({input, weight, mean, invstd, output});
    context->saved_data["eps"] = eps;
    return output;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    const torch::autograd::variable_list saved = context->get_saved_variables();
    const at::Tensor &input = saved[0], &weight = saved[1], &mean = saved[2], &invstd = saved[3];
    const at::Tensor gradient = torch::threshold_backward(gradients[0], saved[4], 0);
    // No running statistics: in training mode it reads the batch's saved mean and invstd only.
    auto [grad_input, grad_weight, grad_bias] = torch::native_batch_norm_backward(
        gradient, input, weight, /*running_mean=*/{}, /*running_var=*/{}, mean, invstd, /*train=*/true,
        context->saved_data["eps"].toDouble(),
        {context->needs_input_grad(0), context->needs_input_grad(1), context->needs_input_grad(2)});
    return {grad_input, grad_weight, grad_bias, kResidual ? gradient : at::Tensor(), at::Tensor(), at::Tensor(),
            at::Tensor()};
  }
};

at::Tensor FusedUnchecked(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                          const at::Tensor& running_mean, const at::Tensor& running_var, const at::Tensor& residual,
                          double momentum, double eps) {
  Statistics stats;
  {
    torch::NoGradGuard statistics;  // their share of the gradient is native_batch_norm_backward's
    stats = BatchStatistics(input, running_mean, running_var, momentum, eps);
  }
  if (residual.defined()) {
    return BatchNormReLUFunction<true>::apply(input, weight, bias, residual, stats.mean, stats.invstd, eps);
  }
  // A custom function's inputs must be defined tensors: the input stands in for the absent residual, unused.
  return BatchNormReLUFunction<false>::apply(input, weight, bias, input, stats.mean, stats.invstd, eps);
}

bool BitwiseEqual(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes() == b.sizes() && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

// Whether the fused computation equals this LibTorch's on this CPU, bitwise, on inputs with vector tails and
// large means (forward, running statistics, and gradients). Deterministic values: torch's generator, which seeds
// the models' initial weights, is not touched. About a millisecond, once per process.
bool MatchesLibTorch() {
  // The first call may come inside a no-grad, inference-mode or autocast scope: the check runs outside them all.
  c10::InferenceMode normal_mode(false);
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  for (const auto& sizes : {std::vector<int64_t>{3, 5, 7, 9}, std::vector<int64_t>{2, 11, 16, 16}}) {
    for (const bool with_residual : {false, true}) {
      const int64_t numel = sizes[0] * sizes[1] * sizes[2] * sizes[3];
      const at::Tensor ramp = torch::arange(numel, torch::kFloat).view(sizes);
      const at::Tensor input = (torch::sin(ramp * 0.37) * 3 + torch::cos(ramp * 0.011) + 2).set_requires_grad(true);
      const at::Tensor residual = with_residual ? torch::cos(ramp * 0.23).set_requires_grad(true) : at::Tensor();
      const at::Tensor channels = torch::arange(sizes[1], torch::kFloat);
      const at::Tensor weight = (torch::cos(channels) + 1.5).set_requires_grad(true);
      const at::Tensor bias = torch::sin(channels * 3).set_requires_grad(true);
      at::Tensor running[2][2] = {{channels * 0.1, channels * 0.2 + 1}, {channels * 0.1, channels * 0.2 + 1}};
      const at::Tensor upstream = torch::sin(ramp * 0.71 + 0.5);
      at::Tensor outputs[2];
      at::Tensor grads[2][4];
      for (int fused = 0; fused < 2; ++fused) {
        const at::Tensor& r = with_residual ? residual : at::Tensor();
        outputs[fused] = fused ? FusedUnchecked(input, weight, bias, running[1][0], running[1][1], r, 0.1, 1e-5)
                               : UnfusedBatchNormReLU(input, weight, bias, running[0][0], running[0][1], r, 0.1, 1e-5);
        std::vector<at::Tensor> leaves{input, weight, bias};
        if (with_residual) leaves.push_back(residual);
        const auto g = torch::autograd::grad({outputs[fused]}, leaves, {upstream});
        for (size_t i = 0; i < g.size(); ++i) grads[fused][i] = g[i];
      }
      if (!BitwiseEqual(outputs[0], outputs[1]) || !BitwiseEqual(running[0][0], running[1][0]) ||
          !BitwiseEqual(running[0][1], running[1][1])) {
        return false;
      }
      for (int i = 0; i < (with_residual ? 4 : 3); ++i) {
        if (!BitwiseEqual(grads[0][i], grads[1][i])) return false;
      }
    }
  }
  return true;
}

}  // namespace

bool FusedBatchNormReLURuns() {
  static const bool matches = CpuRunsAvx2FmaKernels() && MatchesLibTorch();
  return matches;
}

bool CanFuseBatchNormReLU(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                          const at::Tensor& running_mean, const at::Tensor& running_var,
                          const at::Tensor& residual) {
  const bool input_fits = input.defined() && input.device().is_cpu() && input.scalar_type() == at::kFloat &&
                          input.dim() == 4 && input.is_contiguous() && input.numel() > 0 &&
                          input.size(2) * input.size(3) > 1;
  if (!input_fits) return false;
  const int64_t channels = input.size(1);
  for (const at::Tensor* per_channel : {&weight, &bias, &running_mean, &running_var}) {
    // LibTorch's contiguous kernel, which this reproduces, needs them so too.
    if (!per_channel->defined() || !per_channel->device().is_cpu() || per_channel->scalar_type() != at::kFloat ||
        per_channel->dim() != 1 || per_channel->size(0) != channels || !per_channel->is_contiguous()) {
      return false;
    }
  }
  const bool residual_fits = !residual.defined() || (residual.sizes() == input.sizes() &&
                                                     residual.scalar_type() == at::kFloat &&
                                                     residual.device().is_cpu() && residual.is_contiguous());
  return residual_fits && FusedBatchNormReLURuns();
}

at::Tensor FusedBatchNormReLU(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                              const at::Tensor& running_mean, const at::Tensor& running_var,
                              const at::Tensor& residual, double momentum, double eps) {
  TORCH_CHECK(CanFuseBatchNormReLU(input, weight, bias, running_mean, running_var, residual),
              "FusedBatchNormReLU: cannot fuse an input of ", input.sizes(), " ", input.scalar_type());
  return FusedUnchecked(input, weight, bias, running_mean, running_var, residual, momentum, eps);
}

at::Tensor UnfusedBatchNormReLU(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                                const at::Tensor& running_mean, const at::Tensor& running_var,
                                const at::Tensor& residual, double momentum, double eps) {
  at::Tensor output = torch::batch_norm(input, weight, bias, running_mean, running_var, /*training=*/true, momentum,
                                        eps, at::globalContext().userEnabledCuDNN());
  if (residual.defined()) return torch::relu(output + residual);
  return torch::relu_(output);
}

}  // namespace strobe
