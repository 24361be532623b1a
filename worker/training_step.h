#ifndef STROBE_WORKER_TRAINING_STEP_H_
#define STROBE_WORKER_TRAINING_STEP_H_

#include <ATen/core/Tensor.h>
#include <torch/optim/sgd.h>

#include "ops/gradient_bucketer.h"
#include "worker/models/classifier.h"

namespace strobe {

// One synchronous data-parallel step on this rank's slice of the global batch: forward, loss, backward, gradient
// averaging over all ranks (bucketed), optimizer update with the LR the coordinator decided. Since every rank
// starts from the same weights and applies the same averaged gradient and LR, weights stay identical.
class TrainingStep {
 public:
  TrainingStep(Classifier& model, torch::optim::SGD& optimizer, GradientBucketer& bucketer);

  // Collective. `targets`: int64 labels [N] or soft target distributions [N, classes] (label smoothing, mixing).
  // Returns this rank's mean loss over its slice.
  double Run(const at::Tensor& images, const at::Tensor& targets, double lr);

 private:
  Classifier& model_;
  torch::optim::SGD& optimizer_;
  GradientBucketer& bucketer_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_TRAINING_STEP_H_
