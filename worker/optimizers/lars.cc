#include <ATen/ATen.h>

#include <memory>

#include "worker/optimizers/sgd.h"
#include "worker/optimizers/update_rules.h"

namespace strobe {
namespace {

// LARS (You, Gitman and Ginsburg 2017, "Large Batch Training of Convolutional Networks") in timm's and the MLPerf
// PyTorch references' form: each tensor's gradient plus weight decay is scaled by its trust ratio
//   η ||w|| / (||g|| + wd ||w|| + eps)   (1 where ||w|| or ||g|| is 0)
// and then follows SGD with momentum. The paper multiplies the LR into the momentum buffer instead; at a constant
// LR the two are the same update (tests/unit/optimizer_test.cc), and keeping the LR outside lets LARS share SGD's
// momentum state and LR schedules. With --lars_exclude, BatchNorm parameters and biases get plain SGD.
class Lars : public Sgd {
 public:
  using Sgd::Sgd;

 protected:
  std::vector<at::Tensor> Directions(const Group& group) override {
    std::vector<at::Tensor> directions = Sgd::Directions(group);
    if (!group.layerwise) return directions;
    const at::Tensor w = at::stack(at::_foreach_norm(group.params));
    const at::Tensor g = at::stack(at::_foreach_norm(group.grads));
    const at::Tensor ratios = options_.lars_trust_coefficient * w / (g + w * group.weight_decay + options_.opt_eps);
    const at::Tensor trust = at::where(w.gt(0).logical_and(g.gt(0)), ratios, at::ones_like(ratios));
    for (size_t i = 0; i < directions.size(); ++i) directions[i] = directions[i] * trust[i];
    return directions;
  }
};

}  // namespace

std::unique_ptr<Optimizer> MakeLars(Classifier& model, const OptimizerOptions& options) {
  return std::make_unique<Lars>(model, options);
}

}  // namespace strobe
