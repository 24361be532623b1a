#include "worker/optimizers/sgd.h"

#include <ATen/ATen.h>

#include <memory>
#include <typeinfo>

#include "worker/optimizers/fused_sgd_step.h"
#include "worker/optimizers/update_rules.h"

namespace strobe {
namespace {

constexpr size_t kMomentumBuffer = 0;

}  // namespace

Sgd::Sgd(Classifier& model, const OptimizerOptions& options)
    : Optimizer(model, options, {"momentum_buffer"}, options.momentum) {}

std::vector<at::Tensor> Sgd::Directions(const Group& group) {
  return group.weight_decay != 0 ? at::_foreach_add(group.grads, group.params, group.weight_decay) : group.grads;
}

bool Sgd::FusesTheStep(const Group& group) {
  // Only SGD itself: a rule derived from it (LARS) changes the directions, which the fused pass computes.
  if (momentum() == 0 || typeid(*this) != typeid(Sgd)) return false;
  for (size_t i = 0; i < group.params.size(); ++i) {
    if (!CanFuseSgdStep(group.params[i], group.grads[i], slot(kMomentumBuffer, group.index[i]))) return false;
  }
  return true;
}

void Sgd::StepGroup(const Group& group) {
  if (FusesTheStep(group)) {
    const SgdStepSettings settings{group.lr, group.weight_decay, momentum(), options_.nesterov};
    for (size_t i = 0; i < group.params.size(); ++i) {
      FusedSgdStep(group.params[i], group.grads[i], slot(kMomentumBuffer, group.index[i]), settings);
    }
    return;
  }
  std::vector<at::Tensor> steps = Directions(group);
  if (momentum() != 0) {
    std::vector<at::Tensor> buffers;
    std::vector<at::Tensor> running;  // buffers from earlier steps, and this step's contributions to them
    std::vector<at::Tensor> running_steps;
    for (size_t i = 0; i < group.params.size(); ++i) {
      at::Tensor& buffer = slot(kMomentumBuffer, group.index[i]);
      if (!buffer.defined()) {  // the first step: the buffer starts as the step itself
        buffer = steps[i].clone().detach();
        buffers.push_back(buffer);
        continue;
      }
      buffers.push_back(buffer);
      running.push_back(buffer);
      running_steps.push_back(steps[i]);
    }
    if (!running.empty()) {
      at::_foreach_mul_(running, momentum());
      at::_foreach_add_(running, running_steps, 1.0);  // dampening 0
    }
    steps = options_.nesterov ? at::_foreach_add(steps, buffers, momentum()) : buffers;
  }
  at::_foreach_add_(group.params, steps, -group.lr);
}

std::unique_ptr<Optimizer> MakeSgd(Classifier& model, const OptimizerOptions& options) {
  return std::make_unique<Sgd>(model, options);
}

}  // namespace strobe
