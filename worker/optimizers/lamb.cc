#include <ATen/ATen.h>

#include <cmath>
#include <memory>
#include <vector>

#include "worker/optimizers/adam_moments.h"
#include "worker/optimizers/update_rules.h"

namespace strobe {
namespace {

// LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning", Algorithm 2 with bias correction): Adam's
// direction r = m̂ / (sqrt(v̂) + eps) plus weight decay, u = r + wd w, scaled per tensor by the trust ratio
// ||w|| / ||u|| (1 where either is 0), then w -= lr (trust) u. No gradient clipping (timm's Lamb clips the global
// gradient norm at 1 by default; the paper does not). With --lars_exclude, BatchNorm parameters and biases take u
// unscaled, as timm's always_adapt=False.
class Lamb : public AdamMoments {
 public:
  Lamb(Classifier& model, const OptimizerOptions& options) : AdamMoments(model, options) {}

 protected:
  // Multi-tensor kernels, as AdamW's: a few launches per group, plus one multiply per tensor for its ratio.
  void StepGroup(const Group& group) override {
    const Moments moments = UpdateMoments(group);
    std::vector<at::Scalar> corrections1;
    for (double step : moments.step) corrections1.emplace_back(1 - std::pow(beta1(), step));
    std::vector<at::Tensor> updates = at::_foreach_div(moments.exp_avg, corrections1);
    at::_foreach_div_(updates, Denominators(moments));
    if (group.weight_decay != 0) at::_foreach_add_(updates, group.params, group.weight_decay);
    if (group.layerwise) {
      const at::Tensor w = at::stack(at::_foreach_norm(group.params));
      const at::Tensor u = at::stack(at::_foreach_norm(updates));
      const at::Tensor ratios = at::where(w.gt(0).logical_and(u.gt(0)), w / u, at::ones_like(w));
      for (size_t i = 0; i < updates.size(); ++i) updates[i].mul_(ratios[i]);
    }
    at::_foreach_add_(group.params, updates, -group.lr);
  }
};

}  // namespace

std::unique_ptr<Optimizer> MakeLamb(Classifier& model, const OptimizerOptions& options) {
  return std::make_unique<Lamb>(model, options);
}

}  // namespace strobe
