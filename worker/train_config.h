#ifndef STROBE_WORKER_TRAIN_CONFIG_H_
#define STROBE_WORKER_TRAIN_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "augment/mix_options.h"
#include "coordinator/lr_options.h"
#include "worker/checkpoint/checkpoint_options.h"
#include "worker/data/data_options.h"
#include "worker/device_options.h"
#include "worker/epoch_order.h"
#include "worker/models/model_options.h"
#include "worker/optimizer_options.h"
#include "worker/run_options.h"
#include "worker/task_options.h"

namespace strobe {

// Everything `strobe train` was asked to do: one options struct per concern, each owned by the module that uses
// it (its fields, defaults, Validate() and config.json keys). Identical on every rank. docs/architecture.md says
// where each setting lives and how to add one.
struct TrainConfig {
  RunOptions run;
  DataOptions data;
  ModelOptions model;
  TaskOptions task;  // classification, or regression on the label read as an ordinal value
  OptimizerOptions optimizer;
  LrOptions lr;
  MixOptions mix;  // CutMix / Mixup / FMix (off unless an alpha is set) and label smoothing
  CheckpointOptions checkpoint;
  DeviceOptions device;

  // Every module's checks, then those between modules; the message names the flag and the problem.
  absl::Status Validate(int world_size) const;

  // The order each epoch visits the training samples in, at this world size.
  EpochOrderSpec SampleOrder(int world_size) const;

  // The configuration as one JSON object (config.json): every setting under its flag's name, and what the world
  // size resolves (world_size, local_batch_size, data_order_resolved).
  std::string Json(int world_size) const;

  // Every setting of every module, in the order of --helpfull's groups.
  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    RunOptions::Fields(self.run, visit);
    DataOptions::Fields(self.data, visit);
    ModelOptions::Fields(self.model, visit);
    TaskOptions::Fields(self.task, visit);
    OptimizerOptions::Fields(self.optimizer, visit);
    LrOptions::Fields(self.lr, visit);
    MixOptions::Fields(self.mix, visit);
    CheckpointOptions::Fields(self.checkpoint, visit);
    DeviceOptions::Fields(self.device, visit);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_TRAIN_CONFIG_H_
