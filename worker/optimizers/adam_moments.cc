#include "worker/optimizers/adam_moments.h"

#include <ATen/ATen.h>

#include <cmath>

namespace strobe {
namespace {

enum Slot : size_t { kStep = 0, kExpAvg, kExpAvgSq };

}  // namespace

AdamMoments::AdamMoments(Classifier& model, const OptimizerOptions& options)
    : Optimizer(model, options, {"step", "exp_avg", "exp_avg_sq"}, options.opt_beta1) {}

AdamMoments::Moments AdamMoments::UpdateMoments(const Group& group) {
  Moments moments;
  for (size_t i = 0; i < group.params.size(); ++i) {
    const size_t index = group.index[i];
    if (!slot(kStep, index).defined()) {
      slot(kStep, index) = at::zeros({}, at::kDouble);
      slot(kExpAvg, index) = at::zeros_like(group.params[i]);
      slot(kExpAvgSq, index) = at::zeros_like(group.params[i]);
    }
    at::Tensor& step = slot(kStep, index);
    step.add_(1);
    moments.step.push_back(step.item<double>());
    moments.exp_avg.push_back(slot(kExpAvg, index));
    moments.exp_avg_sq.push_back(slot(kExpAvgSq, index));
  }
  at::_foreach_mul_(moments.exp_avg, beta1());
  at::_foreach_add_(moments.exp_avg, group.grads, 1 - beta1());
  at::_foreach_mul_(moments.exp_avg_sq, beta2());
  at::_foreach_addcmul_(moments.exp_avg_sq, group.grads, group.grads, 1 - beta2());
  return moments;
}

std::vector<at::Tensor> AdamMoments::Denominators(const Moments& moments) const {
  std::vector<at::Scalar> root_corrections;
  for (double step : moments.step) root_corrections.emplace_back(std::sqrt(1 - std::pow(beta2(), step)));
  std::vector<at::Tensor> denominators = at::_foreach_sqrt(moments.exp_avg_sq);
  at::_foreach_div_(denominators, root_corrections);
  at::_foreach_add_(denominators, options_.opt_eps);
  return denominators;
}

}  // namespace strobe
