#ifndef STROBE_WORKER_TRAINING_STATE_H_
#define STROBE_WORKER_TRAINING_STATE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "augment/mixer.h"
#include "coordinator/step_control.h"
#include "ops/communicator.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/evaluator.h"
#include "worker/mixed_precision.h"
#include "worker/model_ema.h"
#include "worker/models/classifier.h"
#include "worker/optimizer.h"

namespace strobe {

// Where the run is in the data: the next step to run, the epoch it belongs to and how many samples of that epoch's
// permutation earlier steps consumed. Positions count samples, not steps, so a run can resume with another global
// batch.
struct DataPosition {
  int64_t step = 0;
  int64_t epoch = 0;
  int64_t epoch_samples_done = 0;
};

// The training-loss sums since the last report (this rank's), so a resumed run reports the same averages.
struct LossWindow {
  double sum = 0.0;
  int64_t steps = 0;
};

// What a run's checkpoints record about it, and what a resume checks the checkpoint against.
struct CheckpointedRun {
  std::string run_dir;  // checkpoints go to RUN_DIR/checkpoints
  std::string model;
  uint64_t seed = 0;
  int64_t global_batch = 0;
  std::string data_order;    // EpochOrderSpec::Name(): a mid-epoch checkpoint continues only under the same one
  std::string mix_partners;  // "none" without mixing
  std::string image_size_schedule;  // ImageSizeSchedule::ToString(); a resume must follow the same one
  int64_t dataset_size = 0;  // training samples
  int64_t steps_per_epoch = 0;
  std::string config_json;  // the resolved configuration, kept for `strobe inspect`
};

// Everything that must survive a restart, named in one place and saved and restored as one unit:
//   shared (rank 0 writes, identical on all ranks):
//     model.pt      parameters and rank-averaged buffers, a state_dict that Python's torch.load reads
//     optimizer.pt  the optimizer's state by name (Optimizer::State); MANIFEST names the optimizer
//     ema.pt        with --ema_decay only: the parameters' moving average by name (worker/model_ema.h)
//     MANIFEST      data position, the LR controller's own state (its entries under "lr.", written and read by
//                   coordinator/lr_controller.h), fp16 loss scale, configuration, versions, checksums
//   per rank (rank-NNNNN.pt): this rank's BatchNorm running statistics, its mixer's previous batch (partner buffer),
//     its LibTorch CPU generator state, its loss window. Augmentation draws are a function of (seed, rank, step), so
//     the step is their whole stream state.
struct TrainingState {
  Classifier& model;
  Optimizer& optimizer;
  Mixer* mixer;  // null when mixing is off
  StepCoordinator& coordinator;
  DataPosition position;
  LossWindow loss_window;
  DynamicLossScaler* loss_scaler = nullptr;  // --amp=fp16 only
  ModelEma* ema = nullptr;                    // --ema_decay > 0 only
};

// Collective. OK when the weights, BatchNorm statistics and optimizer state are finite on every rank; else the same
// FailedPrecondition on every rank, naming the first tensor that is not and its count of NaN or infinite values.
// The trainer saves only finite states: a checkpoint of any other could only resume a diverged run.
absl::Status CheckStateFinite(Communicator& communicator, const TrainingState& state);

// Collective. Saves `state` as a checkpoint of `run` in run.run_dir (see CommitCheckpoint); `eval` (may be null)
// is the validation result at this position, recorded for keep-best retention. Returns the committed path.
absl::StatusOr<std::string> SaveTrainingState(Communicator& communicator, const CheckpointedRun& run,
                                              const TrainingState& state, const EvalResult* eval);

// Every rank, independently (agree on the status afterwards). Loads `checkpoint` into `state` after checking that it
// belongs to this model, data and seed. On the world size and global batch it was saved with, the restore is
// exact; on another world size each rank takes the rank-averaged BatchNorm statistics and its share of the previous
// global batch; with another global batch the data position is kept in samples and the step re-derived from it.
// Returns a one-line description of what was resumed (and what changed) for the log.
absl::StatusOr<std::string> RestoreTrainingState(const VerifiedCheckpoint& checkpoint, const CheckpointedRun& run,
                                                 Communicator& communicator, TrainingState& state);

// Loads the checkpoint's model.pt (parameters and rank-averaged buffers) into `model`, after checking that its
// tensors match the model's one to one by name, shape and dtype; for evaluation and export.
absl::Status LoadCheckpointWeights(const VerifiedCheckpoint& checkpoint, Classifier& model);

// Whether the checkpoint holds an EMA of the weights (ema.pt: the averaged parameters by name), and reads it.
bool HoldsEma(const VerifiedCheckpoint& checkpoint);
absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> ReadEma(const VerifiedCheckpoint& checkpoint);

// OK when every tensor of the checkpoint's model.pt and optimizer.pt is finite; else FailedPrecondition naming the
// file, the first such tensor and its count of NaN or infinite values. For --resume=auto and `strobe inspect`:
// Strobe no longer saves such checkpoints, but Strobe 0.2.0 did.
absl::Status CheckCheckpointFinite(const VerifiedCheckpoint& checkpoint);

}  // namespace strobe

#endif  // STROBE_WORKER_TRAINING_STATE_H_
