#ifndef STROBE_WORKER_OPTIMIZERS_ADAM_MOMENTS_H_
#define STROBE_WORKER_OPTIMIZERS_ADAM_MOMENTS_H_

#include <ATen/core/Tensor.h>

#include <vector>

#include "worker/optimizer.h"

namespace strobe {

// What AdamW and LAMB share: per parameter a step count and Adam's moving averages of the gradient (exp_avg, with
// beta1) and of its square (exp_avg_sq, with beta2), as torch.optim.AdamW keeps them.
class AdamMoments : public Optimizer {
 protected:
  struct Moments {
    std::vector<at::Tensor> exp_avg;
    std::vector<at::Tensor> exp_avg_sq;
    std::vector<double> step;  // each parameter's step count, this step included
  };

  AdamMoments(Classifier& model, const OptimizerOptions& options);

  // Counts the step and folds the group's gradients into the averages (zeros before a parameter's first step).
  Moments UpdateMoments(const Group& group);
  // Adam's denominators, sqrt(exp_avg_sq) / sqrt(1 - beta2^step) + eps, in torch.optim.AdamW's order.
  std::vector<at::Tensor> Denominators(const Moments& moments) const;
  double beta1() const { return momentum(); }
  double beta2() const { return options_.opt_beta2; }
};

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZERS_ADAM_MOMENTS_H_
