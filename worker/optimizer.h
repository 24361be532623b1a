#ifndef STROBE_WORKER_OPTIMIZER_H_
#define STROBE_WORKER_OPTIMIZER_H_

#include <torch/optim/sgd.h>

#include <memory>

#include "worker/models/classifier.h"

namespace strobe {

struct SgdConfig {
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 5e-4;
};

// SGD with two parameter groups: group 0 holds weights of convolutions and linear layers and gets weight decay;
// group 1 holds BatchNorm parameters and biases (every parameter of fewer than two dimensions) and gets none,
// as in the standard ImageNet recipes. The LR is set per step by SetLearningRate().
std::unique_ptr<torch::optim::SGD> MakeSgd(Classifier& model, const SgdConfig& config);

void SetLearningRate(torch::optim::SGD& optimizer, double lr);

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZER_H_
