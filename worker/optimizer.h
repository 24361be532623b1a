#ifndef STROBE_WORKER_OPTIMIZER_H_
#define STROBE_WORKER_OPTIMIZER_H_

#include <ATen/core/Tensor.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "worker/models/classifier.h"
#include "worker/optimizer_options.h"

namespace strobe {

// The update rule every rank applies to its averaged gradients (--optimizer; the rules are in
// worker/optimizers/). All rules share two parameter groups: group 0 holds the weights of convolutions and linear
// layers (every parameter of two or more dimensions) and gets weight decay; group 1 holds BatchNorm parameters and
// biases, gets none and its LR times --no_decay_lr_factor, as in the standard ImageNet recipes.
//
// Each rule keeps named per-parameter state ("slots", named as torch.optim names them: momentum_buffer, step,
// exp_avg, exp_avg_sq), which is all a checkpoint needs to continue bitwise.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // --optimizer's spelling of this rule.
  std::string name() const { return OptimizerOptions::OptimizerName(options_.optimizer); }

  // Updates every parameter that has a gradient. `momentum` (one-cycle) replaces SGD's and LARS's momentum, or
  // AdamW's and LAMB's beta1, from now on.
  void Step(double lr, std::optional<double> momentum = std::nullopt);

  // The state by name: a momentum buffer under its parameter's name (the format of every Strobe checkpoint so far),
  // any other slot as "SLOT/PARAMETER" (e.g. "exp_avg/fc.weight"). Parameters before their first step have none.
  std::vector<std::pair<std::string, at::Tensor>> State() const;
  // Replaces the whole state by `state` (as State() returns it; copied in, on each parameter's device and in its
  // layout). Every name must be a slot of this rule for a parameter of the model, with the parameter's shape and
  // dtype (a step count: one number).
  absl::Status Restore(const std::vector<std::pair<std::string, at::Tensor>>& state);

 protected:
  // The parameters of one group that have a gradient at this step.
  struct Group {
    std::vector<at::Tensor> params;
    std::vector<at::Tensor> grads;
    std::vector<size_t> index;  // each parameter's position in the model's parameters: its row in the slots
    double lr = 0;
    double weight_decay = 0;
    bool layerwise = true;  // LAMB, LARS: scale this group's updates per tensor (false for --lars_exclude's group 1)
  };

  Optimizer(Classifier& model, const OptimizerOptions& options, std::vector<std::string> slot_names,
            double initial_momentum);

  virtual void StepGroup(const Group& group) = 0;

  // The tensor of slot `slot` (an index into the constructor's slot_names) of parameter `index`; undefined before
  // the parameter's first step.
  at::Tensor& slot(size_t slot, size_t index) { return slots_[slot][index]; }
  // SGD's and LARS's momentum, AdamW's and LAMB's beta1.
  double momentum() const { return momentum_; }

  const OptimizerOptions options_;

 private:
  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  std::vector<std::string> slot_names_;
  std::vector<std::vector<at::Tensor>> slots_;  // [slot][parameter]
  double momentum_;
};

std::unique_ptr<Optimizer> MakeOptimizer(Classifier& model, const OptimizerOptions& options);

}  // namespace strobe

#endif  // STROBE_WORKER_OPTIMIZER_H_
