#include "worker/training_step.h"

#include <torch/torch.h>

#include "ops/cross_entropy.h"
#include "worker/optimizer.h"

namespace strobe {

TrainingStep::TrainingStep(Classifier& model, torch::optim::SGD& optimizer, GradientBucketer& bucketer,
                           double no_decay_lr_factor)
    : model_(model), optimizer_(optimizer), bucketer_(bucketer), no_decay_lr_factor_(no_decay_lr_factor) {}

double TrainingStep::Run(const at::Tensor& images, const at::Tensor& targets, double lr,
                         std::optional<double> momentum) {
  model_.train();
  bucketer_.ZeroGrad();
  const torch::Tensor loss = CrossEntropy(model_.forward(images), targets);
  loss.backward();
  if (measure_gradients_) {
    last_gradient_statistics_ = bucketer_.AverageGradientsMeasured();
  } else {
    bucketer_.AverageGradients();
  }
  SetLearningRate(optimizer_, lr, no_decay_lr_factor_);
  if (momentum.has_value()) SetMomentum(optimizer_, *momentum);
  optimizer_.step();
  return loss.item<double>();
}

}  // namespace strobe
