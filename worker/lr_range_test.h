#ifndef STROBE_WORKER_LR_RANGE_TEST_H_
#define STROBE_WORKER_LR_RANGE_TEST_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "coordinator/shard_plan.h"
#include "ops/communicator.h"
#include "worker/models/classifier.h"
#include "worker/train_config.h"
#include "worker/trainer.h"

namespace strobe {

// The LR range test (Smith 2017; fastai's lr_find): train from the initial weights with an LR that grows
// exponentially from min_lr to max_lr over `steps` steps, record the global (rank-averaged) loss, and stop early
// once the smoothed loss exceeds `divergence` x its minimum.
struct LrRangeOptions {
  double min_lr = 1e-7;
  double max_lr = 10.0;
  int64_t steps = 100;
  double divergence = 4.0;
  double smoothing = 0.98;  // exponential moving average of the loss, debiased as in fastai
};

struct LrRangePoint {
  int64_t step = 0;
  double lr = 0.0;
  double loss = 0.0;           // averaged over ranks
  double smoothed_loss = 0.0;  // debiased moving average of `loss`
};

struct LrRangeResult {
  std::vector<LrRangePoint> points;
  bool diverged = false;
  double minimum_lr = 0.0;    // LR of the lowest smoothed loss
  double steepest_lr = 0.0;   // LR where the smoothed loss falls fastest per decade of LR
  double suggested_lr = 0.0;  // minimum_lr / 10, fastai's conservative choice for a maximum (peak) LR
};

absl::Status ValidateLrRangeOptions(const LrRangeOptions& options);

// The LR of step `step`: min_lr x (max_lr / min_lr)^(step / (steps - 1)).
double LrRangeLr(const LrRangeOptions& options, int64_t step);

// Smooths the (lr, global loss) sequence, finds where it diverged and the suggestions. Pure; needs >= 3 points.
LrRangeResult AnalyzeLrRange(const std::vector<std::pair<double, double>>& lr_and_loss,
                             const LrRangeOptions& options);

// Collective: runs the test on `model` (rank 0's initial weights) through the trainer's own loop (RunTraining:
// the run's sample order, batches, normalisation, mixing and step; nothing is checkpointed), with every rank
// applying rank 0's exponentially growing LR through the coordinator's control word. Training ends, without a
// final evaluation, after options.steps steps or at the divergence.
absl::StatusOr<LrRangeResult> RunLrRangeTest(const TrainConfig& config, const TrainData& data,
                                             const TrainShardPlan& plan, Classifier& model,
                                             Communicator& communicator, const LrRangeOptions& options);

}  // namespace strobe

#endif  // STROBE_WORKER_LR_RANGE_TEST_H_
