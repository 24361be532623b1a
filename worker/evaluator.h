#ifndef STROBE_WORKER_EVALUATOR_H_
#define STROBE_WORKER_EVALUATOR_H_

#include <cmath>
#include <cstdint>
#include <vector>

#include "ops/communicator.h"
#include "worker/data/sample_source.h"
#include "worker/device_placement.h"
#include "worker/models/classifier.h"
#include "worker/task_options.h"

namespace strobe {

struct EvalResult {
  int64_t samples = 0;
  int64_t correct = 0;
  double loss_sum = 0.0;
  int64_t correct_top5 = 0;  // the label among the 5 highest logits (all of them with 5 classes or fewer)
  std::vector<int64_t> class_samples;  // by label
  std::vector<int64_t> class_correct;  // top-1, by label
  // Regression (the label's value predicted): summed errors; `correct` counts rounded predictions equal to the
  // label, `correct_top5` stays 0.
  double abs_error_sum = 0.0;
  double squared_error_sum = 0.0;

  double accuracy() const { return samples > 0 ? static_cast<double>(correct) / samples : 0.0; }
  double top5_accuracy() const { return samples > 0 ? static_cast<double>(correct_top5) / samples : 0.0; }
  double mean_loss() const { return samples > 0 ? loss_sum / samples : 0.0; }
  double mae() const { return samples > 0 ? abs_error_sum / samples : 0.0; }
  double rmse() const { return samples > 0 ? std::sqrt(squared_error_sum / samples) : 0.0; }
};

// Collective. The split is cut into batches of `batch_size` in index order and each rank evaluates its EvalShard of
// those batches (every sample exactly once across ranks, nothing padded) in eval mode; the counts are summed over
// ranks. Each image is computed in the same batch at any world size, so the counts (top-1, top-5, per class) equal
// a single-process evaluation of the same weights exactly. Under a regression `task` the model's one output is the
// predicted value: the loss is the task's, and a prediction counts as correct when it rounds (clamped to the
// classes) to the label. Ranks must hold identical weights and buffers (see SyncModelBuffers). Restores the
// model's training mode afterwards. Samples get the evaluation transforms (no augmentation) and are computed as
// `placement` says (the model must already be there).
EvalResult EvaluateDistributed(Classifier& model, SampleSource& dataset, Communicator& communicator,
                               int64_t batch_size, const Placement& placement = Placement{},
                               const TaskOptions& task = TaskOptions{});

// Collective: averages the model's buffers (BatchNorm running statistics, which each rank accumulates from its
// own shard) over ranks so that every rank evaluates and saves the same model.
void SyncModelBuffers(Classifier& model, Communicator& communicator);

}  // namespace strobe

#endif  // STROBE_WORKER_EVALUATOR_H_
