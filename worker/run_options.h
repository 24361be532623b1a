#ifndef STROBE_WORKER_RUN_OPTIONS_H_
#define STROBE_WORKER_RUN_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace strobe {

// What the run is and where it reports: its directory, length, global batch, seed and output.
struct RunOptions {
  std::string run_dir;  // config.json, metrics.jsonl, checkpoints/; required
  int64_t epochs = 1;
  int64_t global_batch = 128;  // over all ranks, per optimizer step
  // Micro-batches per optimizer step: each rank runs forward and backward on 1/accum_steps of its share of the
  // global batch at a time and averages gradients once per step. The step, its samples, its mixing and its LR are
  // those of accum_steps = 1; only the activations held at once shrink.
  int64_t accum_steps = 1;
  uint64_t seed = 1;           // weight initialisation, the per-epoch sample order and the augmentation streams
  int64_t log_every = 20;      // steps between reports
  bool trace = false;          // each rank's LR and sample indices per step in RUN_DIR/trace
  std::string progress = "auto";  // auto | live | lines
  // A step whose averaged gradients are not finite: skip its update, or stop the run. Skipping stops too once more
  // than max_skipped_steps steps of the run were skipped.
  std::string nonfinite = "skip";  // skip | stop
  int64_t max_skipped_steps = 10;
  // A rank whose current phase (data, forward/backward, a collective, a checkpoint) lasts longer ends the job with
  // a report of the ranks behind (worker/stall_watchdog.h); 0: never.
  double stall_timeout_s = 300;
  // The same before training, for each phase of `strobe train`'s set-up (app/setup_watchdog.h): longer, since a first
  // listing of a large image folder may legitimately take minutes; 0: never.
  double setup_timeout_s = 1800;
  // For tests and drills of the straggler report: rank inject_delay_rank (-1: none) sleeps inject_delay_ms in each
  // step's forward pass, as a slower GPU or a busier host would.
  int64_t inject_delay_rank = -1;
  int64_t inject_delay_ms = 0;
  // For tests and drills of the non-finite path: at this step (-1: none) the first image of the last rank's batch
  // becomes NaN, as a corrupt sample would.
  int64_t inject_nan_step = -1;

  // The checks that need no other module's settings; the message names the flag.
  absl::Status Validate() const;

  // Each setting under its flag's name, for the flag mapping (app/train_flags.cc) and config.json.
  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("run_dir", self.run_dir);
    visit("epochs", self.epochs);
    visit("batch_size", self.global_batch);
    visit("accum_steps", self.accum_steps);
    visit("seed", self.seed);
    visit("log_every", self.log_every);
    visit("trace", self.trace);
    visit("progress", self.progress);
    visit("nonfinite", self.nonfinite);
    visit("max_skipped_steps", self.max_skipped_steps);
    visit("stall_timeout_s", self.stall_timeout_s);
    visit("setup_timeout_s", self.setup_timeout_s);
    visit("inject_delay_rank", self.inject_delay_rank);
    visit("inject_delay_ms", self.inject_delay_ms);
    visit("inject_nan_step", self.inject_nan_step);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_RUN_OPTIONS_H_
