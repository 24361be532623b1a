#include "worker/training_step.h"

#include <torch/torch.h>

#include "worker/buffer_snapshot.h"

namespace strobe {

TrainingStep::TrainingStep(Classifier& model, Optimizer& optimizer, GradientBucketer& bucketer,
                           Precision precision)
    : model_(model), optimizer_(optimizer), bucketer_(bucketer), precision_(precision) {}

namespace {

void Mark(StepTimer* timer, StepPart part) {
  if (timer != nullptr) timer->Mark(part);
}

}  // namespace

double TrainingStep::ComputeGradients(const at::Tensor& images, const at::Tensor& targets,
                                      const LossHook& before_last_backward) {
  model_.train();
  bucketer_.ZeroGrad();
  const BufferSnapshot buffers_before(model_.buffers());
  DynamicLossScaler* scaler = loss_scaler();
  const std::vector<at::Tensor> image_parts = images.chunk(micro_batches_);
  const std::vector<at::Tensor> target_parts = targets.chunk(micro_batches_);
  torch::Tensor loss_sum;
  for (int64_t part = 0; part < micro_batches_; ++part) {
    bucketer_.DeferCommunication(part + 1 < micro_batches_);
    torch::Tensor logits;
    {
      AutocastScope autocast(images.device().type(), precision_);
      logits = model_.forward(image_parts[part]);
    }
    const torch::Tensor loss = task_.Loss(logits.to(torch::kFloat), target_parts[part]);
    Mark(timer_, StepPart::kForward);
    // Each micro-batch's mean loss over their number: the accumulated gradient is the gradient of the batch's mean.
    const torch::Tensor share = micro_batches_ > 1 ? loss / static_cast<double>(micro_batches_) : loss;
    loss_sum = part == 0 ? loss.detach() : loss_sum + loss.detach();
    if (part + 1 == micro_batches_ && before_last_backward) before_last_backward(loss_sum);
    (scaler != nullptr ? share * scaler->scale() : share).backward();
    if (part + 1 < micro_batches_) Mark(timer_, StepPart::kBackward);
  }
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
  if (last_step_skipped_ || last_step_nonfinite_) buffers_before.Restore();
  return loss_sum.item<double>() / static_cast<double>(micro_batches_);
}

void TrainingStep::Update(double lr, std::optional<double> momentum) {
  if (!last_step_skipped_ && !last_step_nonfinite_) optimizer_.Step(lr, momentum);
  Mark(timer_, StepPart::kOptimizer);
}

}  // namespace strobe
