#include <ATen/ATen.h>

#include <cmath>
#include <memory>

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
  void StepGroup(const Group& group) override {
    const Moments moments = UpdateMoments(group);
    for (size_t i = 0; i < group.params.size(); ++i) {
      const double correction1 = 1 - std::pow(beta1(), moments.step[i]);
      const double correction2 = 1 - std::pow(beta2(), moments.step[i]);
      at::Tensor update = (moments.exp_avg[i] / correction1) /
                          ((moments.exp_avg_sq[i] / correction2).sqrt() + options_.opt_eps);
      if (group.weight_decay != 0) update.add_(group.params[i], group.weight_decay);
      if (group.layerwise) {
        const at::Tensor w = group.params[i].norm();
        const at::Tensor u = update.norm();
        update.mul_(at::where(w.gt(0).logical_and(u.gt(0)), w / u, at::ones_like(w)));
      }
      group.params[i].add_(update, -group.lr);
    }
  }
};

}  // namespace

std::unique_ptr<Optimizer> MakeLamb(Classifier& model, const OptimizerOptions& options) {
  return std::make_unique<Lamb>(model, options);
}

}  // namespace strobe
