#ifndef STROBE_WORKER_OPTIMIZER_OPTIONS_H_
#define STROBE_WORKER_OPTIMIZER_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"

namespace strobe {

// The update rule (worker/optimizer.h). Every rule shares the parameter groups (weight decay only on tensors of two
// or more dimensions, --no_decay_lr_factor on the rest) and takes the coordinator's LR every step.
enum class OptimizerKind {
  kSgd,    // torch.optim.SGD: momentum, dampening 0, Nesterov
  kAdamW,  // torch.optim.AdamW (decoupled weight decay, amsgrad off)
  kLamb,   // You et al. 2019 (LAMB): Adam's step, scaled per tensor by ||w|| / ||step + wd w||
  kLars,   // You et al. 2017 (LARS) as timm's Lars: SGD on the gradient scaled by η ||w|| / (||g|| + wd ||w|| + eps)
};

// The optimizer's hyper-parameters (the LR itself comes from the coordinator every step: coordinator/lr_options.h).
struct OptimizerOptions {
  double momentum = 0.9;  // sgd, lars; one-cycle's cycled momentum is AdamW's and LAMB's beta1
  bool nesterov = true;   // sgd, lars
  double weight_decay = 5e-4;       // conv/linear weights only (never BatchNorm parameters or biases)
  double no_decay_lr_factor = 1.0;  // LR multiplier of group 1 (BatchNorm parameters and biases)
  OptimizerKind optimizer = OptimizerKind::kSgd;
  double opt_beta1 = 0.9;           // adamw, lamb
  double opt_beta2 = 0.999;         // adamw, lamb
  double opt_eps = 1e-8;            // adamw, lamb (added to the root of the second moment); lars (to the norms)
  double lars_trust_coefficient = 0.001;  // lars: η
  // lamb, lars: BatchNorm parameters and biases keep their plain update (no layer-wise scaling), as the MLPerf
  // ResNet-50 reference and timm (always_adapt=False) have it.
  bool lars_exclude = true;
  double ema_decay = 0.0;  // > 0: an exponential moving average of the weights (worker/model_ema.h); 0: none
  bool ema_warmup = false;  // timm's ModelEmaV3 use_warmup: the decay grows as 1 - (1 + step)^(-2/3) to ema_decay

  bool uses_momentum() const { return optimizer == OptimizerKind::kSgd || optimizer == OptimizerKind::kLars; }

  absl::Status Validate() const;

  static absl::StatusOr<OptimizerKind> ParseOptimizer(const std::string& name);
  static std::string OptimizerName(OptimizerKind kind);

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("optimizer", self.optimizer, ParseOptimizer, OptimizerName);
    visit("momentum", self.momentum);
    visit("nesterov", self.nesterov);
    visit("weight_decay", self.weight_decay);
    visit("no_decay_lr_factor", self.no_decay_lr_factor);
    visit("opt_beta1", self.opt_beta1);
    visit("opt_beta2", self.opt_beta2);
    visit("opt_eps", self.opt_eps);
    visit("lars_trust_coefficient", self.lars_trust_coefficient);
    visit("lars_exclude", self.lars_exclude);
    visit("ema_decay", self.ema_decay);
    visit("ema_warmup", self.ema_warmup);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZER_OPTIONS_H_
