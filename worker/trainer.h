#ifndef STROBE_WORKER_TRAINER_H_
#define STROBE_WORKER_TRAINER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coordinator/shard_plan.h"
#include "coordinator/step_control.h"
#include "ops/communicator.h"
#include "ops/progress_beacon.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/data/sample_source.h"
#include "worker/evaluator.h"
#include "worker/models/classifier.h"
#include "worker/output/progress.h"
#include "worker/train_config.h"

namespace strobe {

// The splits a run trains and evaluates on (shared: the LR range test and training take the same sources).
struct TrainData {
  std::shared_ptr<SampleSource> train;
  std::shared_ptr<SampleSource> test;
};

struct TrainSummary {
  EvalResult final_eval;
  std::optional<EvalResult> final_ema_eval;  // --ema_decay: the same evaluation of the weights' moving average
  int64_t steps = 0;          // the global step reached
  double images_per_s = 0.0;  // training images over all ranks per second of training (evaluation excluded)
  bool stopped = false;       // a stop request ended training early, after saving a checkpoint
  bool ended_by_hook = false;  // TrainHooks::after_report ended training (no checkpoint, no evaluation)
  std::string last_checkpoint;
};

// The global (rank-averaged) training loss over the steps since the last report, and the LR of the last of them.
struct LossReport {
  int64_t step = 0;  // steps done
  double lr = 0.0;
  double global_loss = 0.0;
};

// What the run is asked to do besides training.
struct TrainHooks {
  const VerifiedCheckpoint* resume_from = nullptr;  // continue from this checkpoint (verified by the caller)
  // StepFlag bits raised on this rank alone (a signal); polled once per step. May be empty.
  std::function<uint32_t()> local_requests;
  // Called on every rank with each report's global loss (identical on all ranks, so every rank decides alike),
  // before a non-finite loss stops the run; returning false ends training there. A report whose steps were all
  // skipped for non-finite gradients (--nonfinite) comes as a NaN loss. May be empty.
  std::function<bool(const LossReport&)> after_report;
  // Where the loop publishes its step and phase for the stall watchdog (the communicator marks collectives on it
  // too). May be null.
  ProgressBeacon* progress = nullptr;
  // Every rank's host, by rank (GatherRankHosts), to name the slowest rank in the progress line. May be empty.
  std::vector<std::string> rank_hosts;
};

// Collective: replaces every rank's parameters and buffers by rank 0's, so all ranks start from the same model.
void BroadcastInitialWeights(Classifier& model, Communicator& communicator);

// Collective: every rank calls it with the same config, data and plan (of data.train). Broadcasts rank 0's initial
// weights (or restores hooks.resume_from), then runs synchronous data-parallel SGD over the plan from the data
// position on to config.run.epochs, with the LR decided by `coordinator` each step and a distributed evaluation
// after each epoch.
// Checkpoints (see worker/training_state.h) are committed at each epoch end, at the coordinator's cadence, on its
// checkpoint flag, and on a stop request, after which training returns with `stopped` set. `reporter` is non-null on
// rank 0 only.
absl::StatusOr<TrainSummary> RunTraining(const TrainConfig& config, const TrainData& data,
                                         const TrainShardPlan& plan, Classifier& model, StepCoordinator& coordinator,
                                         Communicator& communicator, ProgressReporter* reporter,
                                         const TrainHooks& hooks);

}  // namespace strobe

#endif  // STROBE_WORKER_TRAINER_H_
