#include "worker/training_step.h"

#include <torch/torch.h>


namespace strobe {

TrainingStep::TrainingStep(Classifier& model, Optimizer& optimizer, GradientBucketer& bucketer,
                           Precision precision)
    : model_(model), optimizer_(optimizer), bucketer_(bucketer), precision_(precision) {}

namespace {

void Mark(StepTimer* timer, StepPart part) {
  if (timer != nullptr) timer->Mark(part);
}

}  // namespace

double TrainingStep::Run(const at::Tensor& images, const at::Tensor& targets, double lr,
                         std::optional<double> momentum) {
  model_.train();
  bucketer_.ZeroGrad();
  torch::Tensor logits;
  {
    AutocastScope autocast(images.device().type(), precision_);
    logits = model_.forward(images);
  }
  const torch::Tensor loss = task_.Loss(logits.to(torch::kFloat), targets);
  Mark(timer_, StepPart::kForward);
  DynamicLossScaler* scaler = loss_scaler();
  (scaler != nullptr ? loss * scaler->scale() : loss).backward();
  Mark(timer_, StepPart::kBackward);
  if (timer_ != nullptr) timer_->Move(StepPart::kBackward, StepPart::kAllReduce, bucketer_.communication_seconds());
  if (measure_gradients_) {
    last_gradient_statistics_ = bucketer_.AverageGradientsMeasured();
  } else {
    bucketer_.AverageGradients();
  }
  Mark(timer_, StepPart::kAllReduce);
  last_step_skipped_ = scaler != nullptr && !scaler->Unscale(bucketer_.buffers());
  last_step_nonfinite_ = scaler == nullptr && !AllFinite(bucketer_.buffers());
  if (!last_step_skipped_ && !last_step_nonfinite_) optimizer_.Step(lr, momentum);
  const double local_loss = loss.item<double>();
  Mark(timer_, StepPart::kOptimizer);
  return local_loss;
}

}  // namespace strobe
