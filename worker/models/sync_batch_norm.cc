#include "worker/models/sync_batch_norm.h"

#include <torch/torch.h>

#include <cstdint>

#include "absl/strings/str_format.h"

namespace strobe {
namespace {

constexpr double kEps = 1e-5;  // torch.nn.BatchNorm2d's defaults
constexpr double kMomentum = 0.1;

// The sum of `local` over all ranks, differentiable: the gradient of a sum over ranks is the sum over ranks of the
// gradients every rank's loss sends back to it.
class AllReduceSum : public torch::autograd::Function<AllReduceSum> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& local,
                               int64_t communicator) {
    context->saved_data["communicator"] = communicator;
    torch::Tensor total = local.contiguous().clone();
    reinterpret_cast<Communicator*>(communicator)->AllReduce(total, ReduceOp::kSum);
    return total;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    torch::Tensor total = gradients[0].contiguous().clone();
    reinterpret_cast<Communicator*>(context->saved_data["communicator"].toInt())->AllReduce(total, ReduceOp::kSum);
    return {total, torch::Tensor()};
  }
};

torch::Tensor SumOverRanks(const torch::Tensor& local, Communicator* communicator) {
  return AllReduceSum::apply(local, reinterpret_cast<int64_t>(communicator));
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

torch::Tensor SyncBatchNorm2dImpl::SynchronisedForward(const torch::Tensor& input) {
  const int64_t channels = input.size(1);
  const std::vector<int64_t> reduce{0, 2, 3};
  const std::vector<int64_t> per_channel{1, channels, 1, 1};
  const torch::Tensor x = input.to(torch::kFloat);  // statistics in float32, as cuDNN's under autocast
  const double local_count = static_cast<double>(x.numel() / channels);
  // One collective for the sums and the count (ranks may hold different numbers of images).
  const torch::Tensor sums = SumOverRanks(torch::cat({x.sum(reduce), torch::full({1}, local_count, x.options())}),
                                          communicator_);
  const torch::Tensor count = sums.narrow(0, channels, 1);
  const torch::Tensor mean = sums.narrow(0, 0, channels) / count;
  const torch::Tensor centered = x - mean.view(per_channel);
  // Deviations from the global mean, not E[x^2] - E[x]^2, which cancels catastrophically in float32.
  const torch::Tensor variance = SumOverRanks(centered.pow(2).sum(reduce), communicator_) / count;
  const torch::Tensor output = centered * torch::rsqrt(variance + kEps).view(per_channel) * weight.view(per_channel) +
                               bias.view(per_channel);
  {
    torch::NoGradGuard no_grad;
    num_batches_tracked += 1;
    running_mean.mul_(1 - kMomentum).add_(mean.detach(), kMomentum);
    running_var.mul_(1 - kMomentum).add_(variance.detach() * count / (count - 1), kMomentum);
  }
  return output.to(input.scalar_type());
}

absl::Status SynchroniseBatchNorm(Classifier& model, Communicator& communicator, const std::string& model_name) {
  int64_t layers = 0;
  for (const auto& module : model.modules(/*include_self=*/false)) {
    if (auto* norm = module->as<SyncBatchNorm2dImpl>()) {
      norm->SynchroniseOver(&communicator);
      ++layers;
    }
  }
  if (layers == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--sync_bn: --model=%s has no BatchNorm layers to synchronise", model_name));
  }
  return absl::OkStatus();
}

}  // namespace strobe
