#include <ATen/ATen.h>

#include <cmath>
#include <memory>
#include <vector>

#include "worker/optimizers/adam_moments.h"
#include "worker/optimizers/update_rules.h"

namespace strobe {
namespace {

// torch.optim.AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization"), amsgrad off, with its
// order of operations: the decay w *= 1 - lr wd first, then w -= lr / (1 - beta1^t) * m / (sqrt(v) /
// sqrt(1 - beta2^t) + eps).
class AdamW : public AdamMoments {
 public:
  AdamW(Classifier& model, const OptimizerOptions& options) : AdamMoments(model, options) {}

 protected:
  void StepGroup(const Group& group) override {
    if (group.weight_decay != 0) at::_foreach_mul_(group.params, 1 - group.lr * group.weight_decay);
    const Moments moments = UpdateMoments(group);
    std::vector<at::Scalar> step_sizes;
    for (double step : moments.step) step_sizes.emplace_back(-group.lr / (1 - std::pow(beta1(), step)));
    const std::vector<at::Tensor> denominators = Denominators(moments);
    at::_foreach_addcdiv_(group.params, moments.exp_avg, denominators, step_sizes);
  }
};

}  // namespace

std::unique_ptr<Optimizer> MakeAdamW(Classifier& model, const OptimizerOptions& options) {
  return std::make_unique<AdamW>(model, options);
}

}  // namespace strobe
