#ifndef STROBE_WORKER_MODELS_SYNC_BATCH_NORM_H_
#define STROBE_WORKER_MODELS_SYNC_BATCH_NORM_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "absl/status/statusor.h"
#include "ops/communicator.h"
#include "worker/models/classifier.h"

namespace strobe {

// The built-in models' BatchNorm: torch::nn::BatchNorm2d's tensors under its names (weight, bias, running_mean,
// running_var, num_batches_tracked), its defaults (eps 1e-5, momentum 0.1) and its computation, bitwise, until
// SynchroniseOver() is called; from then on, in training mode, it normalises with the mean and
// variance of every rank's batch together, as torch.nn.SyncBatchNorm: per channel, the sum and count are summed
// over ranks, then the sum of squared deviations from that mean, and backward sums the gradients that reach those
// statistics over ranks the same way. So 2 ranks x 32 images compute what 1 rank x 64 does, and the running
// statistics, updated from the global statistics, stay identical on every rank. Two small all-reduces per layer
// in forward and two in backward. Evaluation uses the running statistics as always.
// (Not a subclass of torch::nn::BatchNorm2dImpl: LibTorch does not export the virtual functions a subclass needs.)
class SyncBatchNorm2dImpl : public torch::nn::Module {
 public:
  explicit SyncBatchNorm2dImpl(int64_t features);

  torch::Tensor forward(const torch::Tensor& input);
  // relu(forward(input) + residual), residual optional: in training on the CPU in one fused pass
  // (worker/models/batch_norm_relu.h), bitwise the same as the separate operations, which run wherever it cannot.
  torch::Tensor ForwardThenReLU(const torch::Tensor& input, const torch::Tensor& residual = {});
  void SynchroniseOver(Communicator* communicator) { communicator_ = communicator; }

  torch::Tensor weight;
  torch::Tensor bias;
  torch::Tensor running_mean;
  torch::Tensor running_var;
  torch::Tensor num_batches_tracked;

 private:
  torch::Tensor SynchronisedForward(const torch::Tensor& input);

  Communicator* communicator_ = nullptr;
};
TORCH_MODULE(SyncBatchNorm2d);

// Training-mode batch normalisation of `input` ([N, C, ...]) with the statistics of every rank's batch together, as
// SyncBatchNorm2d computes them; `weight`, `bias` and the running statistics may be undefined (affine=False,
// track_running_stats=False). The running statistics are updated in place with `momentum`.
torch::Tensor SynchronisedBatchNorm(const torch::Tensor& input, const torch::Tensor& weight, const torch::Tensor& bias,
                                    torch::Tensor running_mean, torch::Tensor running_var, double momentum, double eps,
                                    Communicator& communicator);

// --sync_bn's check before anything is written: InvalidArgument naming `model_name` when `model` has no BatchNorm
// layer SynchroniseBatchNorm could synchronise.
absl::Status CheckBatchNormToSynchronise(Classifier& model, const std::string& model_name);

// --sync_bn: makes every BatchNorm layer of `model` synchronise over `communicator`: a built-in model's
// SyncBatchNorm2d layers, or every batch_norm a TorchScript model's forward calls (its torch.nn.BatchNorm*d
// layers, and F.batch_norm in its own code), which then run the same computation. Returns how many layers (calls)
// it synchronised; CheckBatchNormToSynchronise's error when it has none.
absl::StatusOr<int64_t> SynchroniseBatchNorm(Classifier& model, Communicator& communicator,
                                             const std::string& model_name);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_SYNC_BATCH_NORM_H_
