#ifndef STROBE_WORKER_TRAINING_STEP_H_
#define STROBE_WORKER_TRAINING_STEP_H_

#include <ATen/core/Tensor.h>

#include <functional>
#include <optional>

#include "ops/gradient_bucketer.h"
#include "worker/mixed_precision.h"
#include "worker/models/classifier.h"
#include "worker/optimizer.h"
#include "worker/step_breakdown.h"
#include "worker/task_options.h"

namespace strobe {

// One synchronous data-parallel step on this rank's slice of the global batch: forward, loss, backward, gradient
// averaging over all ranks (bucketed), optimizer update with the LR the coordinator decided. Since every rank
// starts from the same weights and applies the same averaged gradient and LR, weights stay identical.
//
// With `precision` other than float32 the forward pass runs under autocast on the images' device; the loss is
// computed in float32. fp16 adds dynamic loss scaling: a step whose averaged gradients overflowed updates nothing
// (on every rank alike) and is reported by last_step_skipped(). Without it, a step whose averaged gradients hold a
// NaN or an infinity updates nothing either and is reported by last_step_nonfinite(): the averaged gradients are
// bitwise the same on every rank, so every rank decides alike without another collective. "Nothing" includes the
// model's buffers, which the step's forward pass changed (BatchNorm's running statistics): they are put back.
class TrainingStep {
 public:
  TrainingStep(Classifier& model, Optimizer& optimizer, GradientBucketer& bucketer,
               Precision precision = Precision::kFloat32);

  // Collective. `targets`: int64 labels [N] or soft target distributions [N, classes] (label smoothing, mixing), or
  // float values [N, 1] for regression.
  // `momentum`: set only by schedules that cycle it (Optimizer::Step). Returns this rank's mean loss over its slice
  // (the mean of its micro-batches' losses).
  double Run(const at::Tensor& images, const at::Tensor& targets, double lr,
             std::optional<double> momentum = std::nullopt) {
    const double loss = ComputeGradients(images, targets);
    Update(lr, momentum);
    return loss;
  }
  // Called once per step between the last micro-batch's forward pass and its backward (which starts the gradient
  // buckets), with the sum of the step's micro-batch losses: a 0-dim float32 tensor on the device, which divided by
  // the number of micro-batches is what ComputeGradients() returns. What the caller starts there travels with the
  // gradients.
  using LossHook = std::function<void(const at::Tensor& loss_sum)>;

  // Run() in two halves, for a caller that learns the LR only once the gradients are averaged (the trainer, whose
  // control word travels with the gradient buckets): forward, backward and averaging; then the optimizer, unless
  // the step was skipped or non-finite.
  double ComputeGradients(const at::Tensor& images, const at::Tensor& targets,
                          const LossHook& before_last_backward = nullptr);
  void Update(double lr, std::optional<double> momentum);

  // The loss Run() trains with: cross-entropy unless `task` is regression.
  void UseTask(const TaskOptions& task) { task_ = task; }
  // From now on Run() splits its batch into `micro_batches` equal parts (--accum_steps), runs forward and backward
  // on one at a time with the loss divided by their number, and averages the accumulated gradients over ranks
  // after the last: one all-reduce per step, none during the earlier micro-batches. The batch size must be a
  // multiple of it.
  void UseAccumulation(int64_t micro_batches) { micro_batches_ = micro_batches; }
  int64_t micro_batches() const { return micro_batches_; }
  // From now on Run() also measures gradient statistics (costs one more all-reduce of one number per step).
  void MeasureGradients() { measure_gradients_ = true; }
  // From now on Run() marks forward, backward, all-reduce and optimizer on `timer` (which must outlive this).
  void TimeWith(StepTimer* timer) { timer_ = timer; }
  const GradientStatistics& last_gradient_statistics() const { return last_gradient_statistics_; }
  bool last_step_skipped() const { return last_step_skipped_; }
  bool last_step_nonfinite() const { return last_step_nonfinite_; }
  // Null unless the precision is fp16.
  DynamicLossScaler* loss_scaler() { return precision_ == Precision::kFloat16 ? &loss_scaler_ : nullptr; }

 private:
  Classifier& model_;
  Optimizer& optimizer_;
  GradientBucketer& bucketer_;
  Precision precision_;
  DynamicLossScaler loss_scaler_;
  bool last_step_skipped_ = false;
  bool last_step_nonfinite_ = false;
  bool measure_gradients_ = false;
  StepTimer* timer_ = nullptr;
  TaskOptions task_;
  int64_t micro_batches_ = 1;
  GradientStatistics last_gradient_statistics_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_TRAINING_STEP_H_
