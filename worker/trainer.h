#ifndef STROBE_WORKER_TRAINER_H_
#define STROBE_WORKER_TRAINER_H_

#include "absl/status/statusor.h"
#include "coordinator/step_control.h"
#include "ops/communicator.h"
#include "worker/data/image_dataset.h"
#include "worker/evaluator.h"
#include "worker/models/classifier.h"
#include "worker/output/progress.h"
#include "worker/train_config.h"

namespace strobe {

struct TrainData {
  ImageDataset train;
  ImageDataset test;
  Normalization norm;  // from the training split
};

struct TrainSummary {
  EvalResult final_eval;
  int64_t steps = 0;
  double images_per_s = 0.0;  // training images over all ranks per second of training (evaluation excluded)
};

// Collective: every rank calls it with the same config and data. Broadcasts rank 0's initial weights, then runs
// config.epochs epochs of synchronous data-parallel SGD over the shard plan, with the LR decided by `coordinator`
// each step, and a distributed evaluation after each epoch. `reporter` is non-null on rank 0 only.
absl::StatusOr<TrainSummary> RunTraining(const TrainConfig& config, const TrainData& data, Classifier& model,
                                         StepCoordinator& coordinator, Communicator& communicator,
                                         ProgressReporter* reporter);

}  // namespace strobe

#endif  // STROBE_WORKER_TRAINER_H_
