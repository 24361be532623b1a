#include "worker/optimizer.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "worker/optimizers/update_rules.h"

namespace strobe {
namespace {

constexpr char kMomentumSlot[] = "momentum_buffer";
constexpr char kStepSlot[] = "step";

}  // namespace

Optimizer::Optimizer(Classifier& model, const OptimizerOptions& options, std::vector<std::string> slot_names,
                     double initial_momentum)
    : options_(options), slot_names_(std::move(slot_names)), momentum_(initial_momentum) {
  for (const auto& named : model.named_parameters()) {
    names_.push_back(named.key());
    params_.push_back(named.value());
  }
  slots_.assign(slot_names_.size(), std::vector<at::Tensor>(params_.size()));
}

void Optimizer::Step(double lr, std::optional<double> momentum) {
  if (momentum.has_value()) momentum_ = *momentum;
  torch::NoGradGuard no_grad;
  for (int group_id : {0, 1}) {
    Group group;
    group.lr = group_id == 0 ? lr : lr * options_.no_decay_lr_factor;
    group.weight_decay = group_id == 0 ? options_.weight_decay : 0.0;
    group.layerwise = group_id == 0 || !options_.lars_exclude;
    for (size_t i = 0; i < params_.size(); ++i) {
      if ((params_[i].dim() >= 2) != (group_id == 0) || !params_[i].grad().defined()) continue;
      group.params.push_back(params_[i]);
      group.grads.push_back(params_[i].grad());
      group.index.push_back(i);
    }
    if (!group.params.empty()) StepGroup(group);
  }
}

std::vector<std::pair<std::string, at::Tensor>> Optimizer::State() const {
  std::vector<std::pair<std::string, at::Tensor>> state;
  for (size_t s = 0; s < slot_names_.size(); ++s) {
    for (size_t i = 0; i < params_.size(); ++i) {
      if (!slots_[s][i].defined()) continue;
      state.emplace_back(slot_names_[s] == kMomentumSlot ? names_[i] : slot_names_[s] + "/" + names_[i],
                         slots_[s][i]);
    }
  }
  return state;
}

absl::Status Optimizer::Restore(const std::vector<std::pair<std::string, at::Tensor>>& state) {
  std::vector<std::vector<at::Tensor>> restored(slot_names_.size(), std::vector<at::Tensor>(params_.size()));
  torch::NoGradGuard no_grad;
  for (const auto& [key, tensor] : state) {
    const size_t slash = key.find('/');
    const std::string slot_name = slash == std::string::npos ? kMomentumSlot : key.substr(0, slash);
    const std::string param_name = slash == std::string::npos ? key : key.substr(slash + 1);
    const auto slot = std::find(slot_names_.begin(), slot_names_.end(), slot_name);
    if (slot == slot_names_.end()) {
      return absl::InvalidArgumentError(absl::StrFormat("'%s' is not state of --optimizer=%s (its state: %s)", key,
                                                        name(), absl::StrJoin(slot_names_, ", ")));
    }
    const auto param = std::find(names_.begin(), names_.end(), param_name);
    const size_t s = slot - slot_names_.begin();
    const size_t i = param - names_.begin();
    const bool step_count = slot_name == kStepSlot;
    if (param == names_.end() ||
        (step_count ? tensor.numel() != 1
                    : !tensor.sizes().equals(params_[i].sizes()) || tensor.scalar_type() != params_[i].scalar_type())) {
      return absl::InvalidArgumentError(
          absl::StrFormat("optimizer state '%s' does not match a parameter of this model", key));
    }
    // On the parameter's device and in its layout (channels-last weights keep channels-last state); step counts
    // stay on the CPU, where the bias corrections are computed.
    restored[s][i] = step_count ? tensor.to(at::kDouble).cpu().reshape({}).clone()
                                : at::empty_like(params_[i]).copy_(tensor);
  }
  slots_ = std::move(restored);
  return absl::OkStatus();
}

std::unique_ptr<Optimizer> MakeOptimizer(Classifier& model, const OptimizerOptions& options) {
  switch (options.optimizer) {
    case OptimizerKind::kAdamW:
      return MakeAdamW(model, options);
    case OptimizerKind::kLamb:
      return MakeLamb(model, options);
    case OptimizerKind::kLars:
      return MakeLars(model, options);
    case OptimizerKind::kSgd:
      break;
  }
  return MakeSgd(model, options);
}

}  // namespace strobe
