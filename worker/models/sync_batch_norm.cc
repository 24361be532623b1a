#include "worker/models/sync_batch_norm.h"

#include <torch/csrc/jit/ir/ir.h>
#include <torch/library.h>
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "absl/strings/str_format.h"
#include "worker/models/batch_norm_calls.h"
#include "worker/models/batch_norm_relu.h"
#include "worker/models/torchscript_model.h"

namespace strobe {
namespace {

constexpr double kEps = 1e-5;  // torch.nn.BatchNorm2d's defaults
constexpr double kMomentum = 0.1;

// Normalises `x` with the global statistics `mean` and `variance` (biased) of `count` values per channel over all
// ranks, with torch's fused kernel. Backward, as torch.nn.SyncBatchNorm's: per channel the sums of the gradient
// and of the gradient times the centred input, summed over ranks (one all-reduce), give the statistics' share of
// the input's gradient; the weight's and bias's gradients stay this rank's own (the gradient all-reduce averages
// them with the other parameters').
class NormaliseWithGlobalStatistics : public torch::autograd::Function<NormaliseWithGlobalStatistics> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias, const torch::Tensor& mean,
                               const torch::Tensor& variance, const torch::Tensor& count, double eps,
                               int64_t communicator) {
    context->save_for_backward({x, weight, mean, variance, count});
    context->saved_data["eps"] = eps;
    context->saved_data["communicator"] = communicator;
    return torch::batch_norm(x, weight, bias, mean, variance, /*training=*/false, 0.0, eps, /*cudnn_enabled=*/false);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    const torch::autograd::variable_list saved = context->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &mean = saved[2], &variance = saved[3], &count = saved[4];
    const double eps = context->saved_data["eps"].toDouble();
    const int64_t channels = x.size(1);
    const torch::Tensor invstd = torch::rsqrt(variance + eps);
    // The kernel's evaluation-mode backward: dy * weight * invstd, and this rank's sum(dy * x_hat) and sum(dy). The
    // saved statistics are passed too: CUDA's kernel for channels-last and 2-D inputs asserts they are defined.
    auto [partial, local_weight, local_bias] = torch::native_batch_norm_backward(
        gradients[0].contiguous(x.suggest_memory_format()), x, weight, mean, variance, mean, invstd,
        /*train=*/false, eps, {true, true, true});
    torch::Tensor sums = torch::cat({local_bias, local_weight});
    reinterpret_cast<Communicator*>(context->saved_data["communicator"].toInt())->AllReduce(sums, ReduceOp::kSum);
    const torch::Tensor mean_dy = sums.narrow(0, 0, channels) / count;
    const torch::Tensor mean_dy_xhat = sums.narrow(0, channels, channels) / count;
    // grad_x = (dy - mean_dy - x_hat * mean_dy_xhat) * weight * invstd, per channel: partial - ((x - mean) * a + c).
    // Centred first: x * a - mean * a would cancel when the mean is large against the spread.
    const torch::Tensor scale = weight * invstd;
    const torch::Tensor a = scale * invstd * mean_dy_xhat;
    const torch::Tensor c = scale * mean_dy;
    std::vector<int64_t> per_channel(x.dim(), 1);
    per_channel[1] = channels;
    const torch::Tensor grad_x = partial - ((x - mean.view(per_channel)) * a.view(per_channel) + c.view(per_channel));
    return {grad_x, local_weight, local_bias, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

// What a TorchScript model's aten::batch_norm calls become under --sync_bn: the same arguments, and the communicator.
constexpr char kSyncBatchNormOp[] = "strobe::sync_batch_norm";

at::Tensor SyncBatchNormOp(const at::Tensor& input, const c10::optional<at::Tensor>& weight,
                           const c10::optional<at::Tensor>& bias, const c10::optional<at::Tensor>& running_mean,
                           const c10::optional<at::Tensor>& running_var, bool training, double momentum, double eps,
                           bool cudnn_enabled, int64_t communicator) {
  if (!training) {  // evaluation, with the running statistics: torch's kernel, bitwise
    return at::batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled);
  }
  auto defined = [](const c10::optional<at::Tensor>& tensor) { return tensor.value_or(at::Tensor()); };
  return SynchronisedBatchNorm(input, defined(weight), defined(bias), defined(running_mean), defined(running_var),
                               momentum, eps, *reinterpret_cast<Communicator*>(communicator));
}

// Conservative alias analysis: the JIT must neither drop nor merge a call, which updates the running statistics in
// place and takes part in collectives.
TORCH_LIBRARY(strobe, library) {
  library.def(torch::schema(
      "sync_batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
      "bool training, float momentum, float eps, bool cudnn_enabled, int communicator) -> Tensor",
      c10::AliasAnalysisKind::CONSERVATIVE));
}

// Composite: autograd differentiates through the computation, whose all-reduces have their own backward.
TORCH_LIBRARY_IMPL(strobe, CompositeImplicitAutograd, library) {
  library.impl("sync_batch_norm", &SyncBatchNormOp);
}

std::vector<SyncBatchNorm2dImpl*> BuiltInBatchNormLayers(Classifier& model) {
  std::vector<SyncBatchNorm2dImpl*> layers;
  for (const auto& module : model.modules(/*include_self=*/false)) {
    if (auto* norm = module->as<SyncBatchNorm2dImpl>()) layers.push_back(norm);
  }
  return layers;
}

int64_t CountBatchNormLayers(Classifier& model) {
  if (auto* scripted = dynamic_cast<TorchScriptClassifier*>(&model)) {
    return static_cast<int64_t>(BatchNormCalls(*scripted->InlinedForwardGraph()).size());
  }
  return static_cast<int64_t>(BuiltInBatchNormLayers(model).size());
}

// Replaces the forward's batch_norm calls with strobe::sync_batch_norm; returns how many.
int64_t SynchroniseTorchScript(TorchScriptClassifier& model, Communicator& communicator) {
  static const c10::Symbol sync_batch_norm = c10::Symbol::fromQualString(kSyncBatchNormOp);
  std::shared_ptr<torch::jit::Graph> forward = model.InlinedForwardGraph();
  const std::vector<torch::jit::Node*> calls = BatchNormCalls(*forward);
  for (torch::jit::Node* call : calls) {
    const torch::jit::WithInsertPoint insert_before(call);
    std::vector<torch::jit::Value*> inputs(call->inputs().begin(), call->inputs().end());
    inputs.push_back(forward->insertConstant(reinterpret_cast<int64_t>(&communicator)));
    torch::jit::Node* synchronised = forward->insertNode(forward->create(sync_batch_norm, inputs));
    synchronised->output()->setType(call->output()->type());
    call->output()->replaceAllUsesWith(synchronised->output());
    call->destroy();
  }
  if (!calls.empty()) model.RunForwardAs(forward);
  return static_cast<int64_t>(calls.size());
}

int64_t SynchroniseBuiltIn(Classifier& model, Communicator& communicator) {
  const std::vector<SyncBatchNorm2dImpl*> layers = BuiltInBatchNormLayers(model);
  for (SyncBatchNorm2dImpl* norm : layers) norm->SynchroniseOver(&communicator);
  return static_cast<int64_t>(layers.size());
}

absl::Status NoBatchNormToSynchronise(const std::string& model_name) {
  return absl::InvalidArgumentError(
      absl::StrFormat("--sync_bn: --model=%s has no BatchNorm layers to synchronise", model_name));
}

}  // namespace

SyncBatchNorm2dImpl::SyncBatchNorm2dImpl(int64_t features) {
  weight = register_parameter("weight", torch::ones({features}));
  bias = register_parameter("bias", torch::zeros({features}));
  running_mean = register_buffer("running_mean", torch::zeros({features}));
  running_var = register_buffer("running_var", torch::ones({features}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

torch::Tensor SyncBatchNorm2dImpl::forward(const torch::Tensor& input) {
  TORCH_CHECK(input.dim() == 4, "SyncBatchNorm2d: expected a 4-D input, got ", input.dim(), "-D");
  if (is_training() && communicator_ != nullptr) return SynchronisedForward(input);
  if (is_training()) num_batches_tracked += 1;
  // torch::nn::BatchNorm2d's call, argument for argument.
  return torch::batch_norm(input, weight, bias, running_mean, running_var, is_training(), kMomentum, kEps,
                           at::globalContext().userEnabledCuDNN());
}

torch::Tensor SyncBatchNorm2dImpl::ForwardThenReLU(const torch::Tensor& input, const torch::Tensor& residual) {
  if (is_training() && communicator_ == nullptr &&
      CanFuseBatchNormReLU(input, weight, bias, running_mean, running_var, residual)) {
    num_batches_tracked += 1;
    return FusedBatchNormReLU(input, weight, bias, running_mean, running_var, residual, kMomentum, kEps);
  }
  torch::Tensor output = forward(input);
  return residual.defined() ? torch::relu(output + residual) : torch::relu_(output);
}

torch::Tensor SyncBatchNorm2dImpl::SynchronisedForward(const torch::Tensor& input) {
  {
    torch::NoGradGuard no_grad;
    num_batches_tracked += 1;
  }
  return SynchronisedBatchNorm(input, weight, bias, running_mean, running_var, kMomentum, kEps, *communicator_);
}

torch::Tensor SynchronisedBatchNorm(const torch::Tensor& input, const torch::Tensor& weight, const torch::Tensor& bias,
                                    torch::Tensor running_mean, torch::Tensor running_var, double momentum, double eps,
                                    Communicator& communicator) {
  TORCH_CHECK(input.dim() >= 2, "batch_norm: expected an input of at least 2 dimensions [N, C, ...], got ",
              input.dim(), "-D");
  const int64_t channels = input.size(1);
  std::vector<int64_t> reduce{0};
  std::vector<int64_t> per_channel(input.dim(), 1);
  per_channel[1] = channels;
  for (int64_t dim = 2; dim < input.dim(); ++dim) reduce.push_back(dim);
  // Statistics of 16-bit inputs in float32, as cuDNN's under autocast.
  const bool half = input.scalar_type() == torch::kHalf || input.scalar_type() == torch::kBFloat16;
  const torch::Tensor x = half ? input.to(torch::kFloat) : input;
  const double local_count = static_cast<double>(x.numel() / channels);
  // As torch's check, on one rank only: across ranks the count that matters is the global one, and a rank that
  // threw here alone would leave the others in the next collective.
  TORCH_CHECK(local_count > 1 || communicator.world_size() > 1,
              "batch_norm: expected more than 1 value per channel when training, got input size ", input.sizes());
  torch::Tensor count;
  torch::Tensor mean;
  torch::Tensor variance;
  {
    torch::NoGradGuard statistics;  // their share of the gradient is NormaliseWithGlobalStatistics's backward
    // One collective for the sums and the count (ranks may hold different numbers of images).
    torch::Tensor sums = torch::cat({x.sum(reduce), torch::full({1}, local_count, x.options())});
    communicator.AllReduce(sums, ReduceOp::kSum);
    count = sums.narrow(0, channels, 1);
    mean = sums.narrow(0, 0, channels) / count;
    // Deviations from the global mean, not E[x^2] - E[x]^2, which cancels catastrophically in float32.
    variance = (x - mean.view(per_channel)).square().sum(reduce);
    communicator.AllReduce(variance, ReduceOp::kSum);
    variance.div_(count);
    if (running_mean.defined()) running_mean.mul_(1 - momentum).add_(mean, momentum);
    if (running_var.defined()) running_var.mul_(1 - momentum).add_(variance * count / (count - 1), momentum);
  }
  // affine=False: a weight of ones and a bias of zeros, which need no gradient (custom functions take defined
  // tensors only).
  const torch::Tensor output = NormaliseWithGlobalStatistics::apply(
      x, weight.defined() ? weight : torch::ones({channels}, x.options()),
      bias.defined() ? bias : torch::zeros({channels}, x.options()), mean, variance, count, eps,
      reinterpret_cast<int64_t>(&communicator));
  return output.to(input.scalar_type());
}

absl::Status CheckBatchNormToSynchronise(Classifier& model, const std::string& model_name) {
  return CountBatchNormLayers(model) > 0 ? absl::OkStatus() : NoBatchNormToSynchronise(model_name);
}

absl::StatusOr<int64_t> SynchroniseBatchNorm(Classifier& model, Communicator& communicator,
                                             const std::string& model_name) {
  auto* scripted = dynamic_cast<TorchScriptClassifier*>(&model);
  const int64_t layers =
      scripted != nullptr ? SynchroniseTorchScript(*scripted, communicator) : SynchroniseBuiltIn(model, communicator);
  if (layers == 0) return NoBatchNormToSynchronise(model_name);
  return layers;
}

}  // namespace strobe
