#ifndef STROBE_WORKER_OPTIMIZER_OPTIONS_H_
#define STROBE_WORKER_OPTIMIZER_OPTIONS_H_

#include "absl/status/status.h"

namespace strobe {

// SGD's hyper-parameters (the LR itself comes from the coordinator every step: coordinator/lr_options.h).
struct OptimizerOptions {
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 5e-4;       // conv/linear weights only (never BatchNorm parameters or biases)
  double no_decay_lr_factor = 1.0;  // LR multiplier of group 1 (BatchNorm parameters and biases)

  absl::Status Validate() const;

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("momentum", self.momentum);
    visit("nesterov", self.nesterov);
    visit("weight_decay", self.weight_decay);
    visit("no_decay_lr_factor", self.no_decay_lr_factor);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZER_OPTIONS_H_
