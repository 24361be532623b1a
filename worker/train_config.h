#ifndef STROBE_WORKER_TRAIN_CONFIG_H_
#define STROBE_WORKER_TRAIN_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "augment/mix_options.h"
#include "coordinator/streamed_order.h"
#include "worker/mixed_precision.h"
#include "worker/optimizer.h"

namespace strobe {

// Everything `strobe train` was asked to do, resolved from flags; identical on every rank.
struct TrainConfig {
  std::string data_dir;
  std::string model = "resnet20";
  std::string run_dir;
  int64_t epochs = 1;
  int64_t global_batch = 128;
  int64_t train_samples = 0;  // 0: the whole training split; N: only its first N samples (quick runs, tests)
  int64_t eval_samples = 0;  // 0: the whole test split; N: only its first N samples
  int64_t eval_batch = 500;
  double base_lr = 0.1;
  bool scale_lr = true;  // linear scaling rule: LR = base_lr x global_batch / reference_batch
  int64_t reference_batch = 256;
  std::string lr_schedule = "cosine";  // constant | cosine | step | poly (coordinator/lr_schedule.h)
  double warmup_epochs = 0.5;
  int64_t warmup_steps = -1;  // >= 0 overrides warmup_epochs
  double final_lr = 0.0;
  std::vector<double> lr_milestones;  // step schedule: epochs after warmup at which the LR is multiplied by gamma
  double lr_gamma = 0.1;
  double lr_power = 1.0;
  double onecycle_pct_start = 0.25;  // onecycle: fraction of the run spent rising to the peak
  double onecycle_div = 25.0;
  double onecycle_final_div = 1e5;
  double onecycle_min_momentum = 0.85;
  double onecycle_max_momentum = 0.95;
  bool lr_adascale = false;  // AdaScale: gain and schedule progress from gradient noise (coordinator/adascale.h)
  double adascale_smoothing = 0.99;
  std::string plateau_metric;  // empty: no plateau; else val_loss | val_accuracy | train_loss (coordinator/plateau.h)
  int64_t plateau_patience = 5;
  double plateau_factor = 0.1;
  int64_t plateau_cooldown = 0;
  double plateau_threshold = 1e-4;
  double plateau_min_lr = 0.0;
  SgdConfig sgd;
  double label_smoothing = 0.0;
  MixOptions mix;  // CutMix / Mixup / FMix; off unless an alpha is set. Its label_smoothing and num_classes
                   // are filled from the fields here and the data.
  int64_t bucket_cap_bytes = 25 * 1024 * 1024;
  uint64_t seed = 1;
  int64_t log_every = 20;
  // Checkpoints (worker/training_state.h) in RUN_DIR/checkpoints.
  int64_t checkpoint_every_steps = 0;  // 0: not by step count
  double checkpoint_every_minutes = 0.0;  // 0: not by time
  bool checkpoint_at_epoch_end = true;
  int64_t keep_checkpoints = 3;  // the newest K are kept (0: all)
  bool keep_best_checkpoint = true;  // and the one with the best validation accuracy
  std::string resume;  // empty: fresh run; "auto": newest valid checkpoint of run_dir if any; else a checkpoint path
  bool trace = false;  // record each rank's LR and sample indices per step in RUN_DIR/trace
  int threads = 0;  // intra-op threads per rank; 0: this host's cores divided by its ranks
  // ImageNet-layout datasets (worker/imagenet); the IDX path ignores these.
  int64_t image_size = 224;    // training crop and validation centre crop
  int64_t val_resize = 256;    // validation: shorter side resized to this before the centre crop
  double crop_scale_min = 0.08;  // RandomResizedCrop area fraction range [crop_scale_min, 1]
  int decode_threads = 0;      // 0: the rank's share of the host's cores
  int64_t prefetch_batches = 2;  // batches decoded ahead of the training step
  std::string data_order = "shuffled";  // shuffled (a global permutation) | streamed (coordinator/streamed_order.h)
  int64_t data_streams = 0;     // streamed: streams the epoch is cut into; 0: the world size
  int64_t shuffle_window = 1024;  // streamed: samples shuffled together within a stream
  int64_t max_bad_images = 100;  // unreadable images a rank replaces before the run stops
  bool uint8_batches = false;  // ImageNet layout: decode into bytes, normalised on the training device
  bool channels_last = false;  // batches and 4-D weights in the channels-last memory format
  // GPU path (docs/gpu.md).
  std::string device = "auto";  // auto (cuda in a CUDA build, else cpu) | cpu | cuda
  Precision amp = Precision::kFloat32;  // autocast of the forward pass
  Precision grad_compression = Precision::kFloat32;  // the dtype gradients are all-reduced in
  bool cudnn_benchmark = true;  // cuDNN times its convolution algorithms per shape and keeps the fastest
  std::string progress = "auto";  // auto | live | lines
};

// Checks every field that can be judged before data is loaded; the message names the flag and the problem.
absl::Status ValidateTrainConfig(const TrainConfig& config, int world_size);

bool StreamsData(const TrainConfig& config);  // --data_order=streamed
// The streamed order's parameters at this world size (--data_streams=0 means one stream per rank).
StreamedOrder EffectiveStreamedOrder(const TrainConfig& config, int world_size);
// The epoch order as a checkpoint records it: a mid-epoch checkpoint continues only under the same one.
std::string DataOrderName(const TrainConfig& config, int world_size);

// The configuration as one JSON object (written to the run directory's config.json).
std::string TrainConfigJson(const TrainConfig& config, int world_size);

}  // namespace strobe

#endif  // STROBE_WORKER_TRAIN_CONFIG_H_
