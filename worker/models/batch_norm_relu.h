#ifndef STROBE_WORKER_MODELS_BATCH_NORM_RELU_H_
#define STROBE_WORKER_MODELS_BATCH_NORM_RELU_H_

#include <ATen/core/Tensor.h>

namespace strobe {

// relu(batch_norm(input) + residual), residual optional, in training mode on the CPU: the built-in models' BatchNorm
// followed by ReLU (and a residual block's end), computed bitwise as torch::batch_norm, `+` and torch::relu compute
// it, forward and backward, running statistics included, but faster. LibTorch's CPU BatchNorm sums each channel in
// one long chain of double additions (one addition every few cycles) and writes its output, which ReLU and the
// residual add then read and write again; this sums several channels' chains side by side, in the same order, and
// writes the output once. Backward is LibTorch's own ReLU and BatchNorm backward.
//
// Where it cannot be bitwise (not a float32, contiguous NCHW CPU input with more than one value per channel and
// sample, whose statistics LibTorch computes another way; parameters and running statistics that are not float32,
// contiguous, [C]; a CPU without AVX2 and FMA; a LibTorch whose kernels round differently, which a self-check on
// sample shapes on first use detects), CanFuseBatchNormReLU says so and the caller runs the unfused operations:
// results never depend on which path ran. An empty batch, too, is left to LibTorch.
bool CanFuseBatchNormReLU(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                          const at::Tensor& running_mean, const at::Tensor& running_var, const at::Tensor& residual);

// Whether this process runs the fused kernel where the inputs fit: the CPU has AVX2 and FMA, and the self-check
// found it bitwise this LibTorch's operations. The first call runs the self-check (a few milliseconds).
bool FusedBatchNormReLURuns();

// The running statistics are updated in place with `momentum`, as torch::batch_norm does. Requires
// CanFuseBatchNormReLU(...).
at::Tensor FusedBatchNormReLU(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                              const at::Tensor& running_mean, const at::Tensor& running_var,
                              const at::Tensor& residual, double momentum, double eps);

// The unfused reference: torch::batch_norm (training), `+ residual` when defined, torch::relu.
at::Tensor UnfusedBatchNormReLU(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                                const at::Tensor& running_mean, const at::Tensor& running_var,
                                const at::Tensor& residual, double momentum, double eps);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_BATCH_NORM_RELU_H_
