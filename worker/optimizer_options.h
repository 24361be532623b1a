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
  double ema_decay = 0.0;  // > 0: an exponential moving average of the weights (worker/model_ema.h); 0: none
  bool ema_warmup = false;  // timm's ModelEmaV3 use_warmup: the decay grows as 1 - (1 + step)^(-2/3) to ema_decay

  absl::Status Validate() const;

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("momentum", self.momentum);
    visit("nesterov", self.nesterov);
    visit("weight_decay", self.weight_decay);
    visit("no_decay_lr_factor", self.no_decay_lr_factor);
    visit("ema_decay", self.ema_decay);
    visit("ema_warmup", self.ema_warmup);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZER_OPTIONS_H_
