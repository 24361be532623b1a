#ifndef STROBE_WORKER_CHECKPOINT_CHECKPOINT_OPTIONS_H_
#define STROBE_WORKER_CHECKPOINT_CHECKPOINT_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace strobe {

// When checkpoints are taken in RUN_DIR/checkpoints, how many are kept, and where a run resumes from.
struct CheckpointOptions {
  int64_t every_steps = 0;     // 0: not by step count
  double every_minutes = 0.0;  // 0: not by time (rank 0's clock)
  bool at_epoch_end = true;    // after each epoch's evaluation
  int64_t keep = 3;            // the newest K are kept (0: all)
  bool keep_best = true;       // and the one with the best validation accuracy
  std::string resume;  // empty: a new run; "auto": the newest valid checkpoint of the run directory; else a path

  absl::Status Validate() const;

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("checkpoint_every_steps", self.every_steps);
    visit("checkpoint_every_minutes", self.every_minutes);
    visit("checkpoint_at_epoch_end", self.at_epoch_end);
    visit("keep_checkpoints", self.keep);
    visit("keep_best_checkpoint", self.keep_best);
    visit("resume", self.resume);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_CHECKPOINT_CHECKPOINT_OPTIONS_H_
