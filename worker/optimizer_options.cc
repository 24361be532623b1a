#include "worker/optimizer_options.h"

#include "absl/strings/str_format.h"
#include "ops/option_checks.h"

namespace strobe {

absl::Status OptimizerOptions::Validate() const {
  if (absl::Status ranges = FirstError({CheckInRange("momentum", momentum, 0, 1, true),
                                        CheckInRange("weight_decay", weight_decay, 0, 1, false),
                                        CheckInRange("no_decay_lr_factor", no_decay_lr_factor, 0, 1e6, false),
                                        CheckInRange("opt_beta1", opt_beta1, 0, 1, true),
                                        CheckInRange("opt_beta2", opt_beta2, 0, 1, true),
                                        CheckInRange("opt_eps", opt_eps, 0, 1, false),
                                        CheckInRange("lars_trust_coefficient", lars_trust_coefficient, 0, 1e3, false),
                                        CheckInRange("ema_decay", ema_decay, 0, 1, true)});
      !ranges.ok()) {
    return ranges;
  }
  if (nesterov && momentum <= 0 && uses_momentum()) {
    return absl::InvalidArgumentError("--nesterov needs --momentum > 0");
  }
  // Adam's denominator needs it; LARS's trust ratio is only formed where both norms are positive.
  if (opt_eps <= 0 && (optimizer == OptimizerKind::kAdamW || optimizer == OptimizerKind::kLamb)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--opt_eps must be > 0 with --optimizer=%s, got %g", OptimizerName(optimizer), opt_eps));
  }
  if (lars_trust_coefficient <= 0 && optimizer == OptimizerKind::kLars) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--lars_trust_coefficient must be > 0, got %g", lars_trust_coefficient));
  }
  if (ema_warmup && ema_decay == 0) return absl::InvalidArgumentError("--ema_warmup needs --ema_decay > 0");
  return absl::OkStatus();
}

absl::StatusOr<OptimizerKind> OptimizerOptions::ParseOptimizer(const std::string& name) {
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "adamw") return OptimizerKind::kAdamW;
  if (name == "lamb") return OptimizerKind::kLamb;
  if (name == "lars") return OptimizerKind::kLars;
  return absl::InvalidArgumentError(absl::StrFormat("--optimizer=%s is not one of sgd, adamw, lamb, lars", name));
}

std::string OptimizerOptions::OptimizerName(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd:
      return "sgd";
    case OptimizerKind::kAdamW:
      return "adamw";
    case OptimizerKind::kLamb:
      return "lamb";
    case OptimizerKind::kLars:
      return "lars";
  }
  return "sgd";
}

}  // namespace strobe
