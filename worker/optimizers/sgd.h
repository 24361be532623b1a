#ifndef STROBE_WORKER_OPTIMIZERS_SGD_H_
#define STROBE_WORKER_OPTIMIZERS_SGD_H_

#include <ATen/core/Tensor.h>

#include <vector>

#include "worker/optimizer.h"

namespace strobe {

// torch.optim.SGD's update (weight decay, momentum with dampening 0, Nesterov), computed with multi-tensor (foreach)
// kernels: a few launches per parameter group instead of several per parameter, which on a GPU keeps the optimizer
// from being bound by kernel launches. On the CPU the result is bitwise that of torch::optim::SGD::step(), and from
// each parameter's second step one fused pass computes it (worker/optimizers/fused_sgd_step.h).
class Sgd : public Optimizer {
 public:
  Sgd(Classifier& model, const OptimizerOptions& options);

 protected:
  void StepGroup(const Group& group) override;
  // What the momentum buffers accumulate: the gradients plus weight decay.
  virtual std::vector<at::Tensor> Directions(const Group& group);

 private:
  // Every parameter of `group` has its momentum buffer (it is past its first step) and fits the fused step.
  bool FusesTheStep(const Group& group);
};

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZERS_SGD_H_
