#include "worker/training_step.h"

#include <torch/torch.h>

#include "augment/soft_targets.h"
#include "ops/cross_entropy.h"
#include "worker/optimizer.h"

namespace strobe {

TrainingStep::TrainingStep(Classifier& model, torch::optim::SGD& optimizer, GradientBucketer& bucketer,
                           int64_t num_classes, double label_smoothing)
    : model_(model),
      optimizer_(optimizer),
      bucketer_(bucketer),
      num_classes_(num_classes),
      label_smoothing_(label_smoothing) {}

double TrainingStep::Run(const at::Tensor& images, const at::Tensor& labels, double lr) {
  model_.train();
  bucketer_.ZeroGrad();
  const torch::Tensor logits = model_.forward(images);
  const torch::Tensor loss =
      label_smoothing_ > 0 ? CrossEntropy(logits, SmoothedOneHot(labels, num_classes_, label_smoothing_))
                           : CrossEntropy(logits, labels);
  loss.backward();
  bucketer_.AverageGradients();
  SetLearningRate(optimizer_, lr);
  optimizer_.step();
  return loss.item<double>();
}

}  // namespace strobe
