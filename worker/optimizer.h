#ifndef STROBE_WORKER_OPTIMIZER_H_
#define STROBE_WORKER_OPTIMIZER_H_

#include <torch/optim/sgd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

#include "worker/models/classifier.h"
#include "worker/optimizer_options.h"

namespace strobe {

// SGD with two parameter groups: group 0 holds weights of convolutions and linear layers and gets weight decay;
// group 1 holds BatchNorm parameters and biases (every parameter of fewer than two dimensions) and gets none,
// as in the standard ImageNet recipes. The LR is set per step by SetLearningRate().
std::unique_ptr<torch::optim::SGD> MakeSgd(Classifier& model, const OptimizerOptions& options);

// torch::optim::SGD's update (weight decay, momentum with dampening, nesterov), computed with multi-tensor
// (foreach) kernels: a few launches per parameter group instead of several per parameter, which on a GPU keeps the
// optimizer from being bound by kernel launches. Same state (momentum buffers), same arithmetic: on the CPU the
// result is bitwise that of optimizer.step().
void SgdStep(torch::optim::SGD& optimizer);

// Group 0 gets `lr`, group 1 (BatchNorm parameters, biases) lr x no_decay_lr_factor.
void SetLearningRate(torch::optim::SGD& optimizer, double lr, double no_decay_lr_factor = 1.0);

// For schedules that cycle momentum (one-cycle): every group's momentum.
void SetMomentum(torch::optim::SGD& optimizer, double momentum);

// The optimizer's state that training depends on: each parameter's momentum buffer, keyed by the parameter's name
// in `model` (absent before the parameter's first step). Works across LibTorch 1.13 and 2.x, whose optimizers key
// their state differently.
std::vector<std::pair<std::string, at::Tensor>> MomentumBuffers(torch::optim::SGD& optimizer, Classifier& model);

// Replaces the optimizer's momentum buffers by `buffers` (as returned by MomentumBuffers, copied in); parameters
// missing from `buffers` get none, as before their first step. Names must belong to `model` with matching shapes.
absl::Status RestoreMomentumBuffers(torch::optim::SGD& optimizer, Classifier& model,
                                    const std::vector<std::pair<std::string, at::Tensor>>& buffers);

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZER_H_
