#include "worker/training_step.h"

#include <torch/torch.h>

#include "ops/cross_entropy.h"
#include "worker/optimizer.h"

namespace strobe {

TrainingStep::TrainingStep(Classifier& model, torch::optim::SGD& optimizer, GradientBucketer& bucketer)
    : model_(model), optimizer_(optimizer), bucketer_(bucketer) {}

double TrainingStep::Run(const at::Tensor& images, const at::Tensor& targets, double lr) {
  model_.train();
  bucketer_.ZeroGrad();
  const torch::Tensor loss = CrossEntropy(model_.forward(images), targets);
  loss.backward();
  bucketer_.AverageGradients();
  SetLearningRate(optimizer_, lr);
  optimizer_.step();
  return loss.item<double>();
}

}  // namespace strobe
