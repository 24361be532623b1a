#ifndef STROBE_WORKER_OPTIMIZERS_SGD_H_
#define STROBE_WORKER_OPTIMIZERS_SGD_H_

#include <ATen/core/Tensor.h>

#include <vector>

#include "worker/optimizer.h"

namespace strobe {

// torch.optim.SGD's update (weight decay, momentum with dampening 0, Nesterov), computed with multi-tensor (foreach)
// kernels: a few launches per parameter group instead of several per parameter, which on a GPU keeps the optimizer
// from being bound by kernel launches. On the CPU the result is bitwise that of torch::optim::SGD::step().
class Sgd : public Optimizer {
 public:
  Sgd(Classifier& model, const OptimizerOptions& options);

 protected:
  void StepGroup(const Group& group) override;
  // What the momentum buffers accumulate: the gradients plus weight decay.
  virtual std::vector<at::Tensor> Directions(const Group& group);
};

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZERS_SGD_H_
