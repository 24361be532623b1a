#include "worker/optimizer.h"

#include <torch/torch.h>

#include <map>
#include <sstream>
#include <type_traits>

#include "absl/strings/str_format.h"

namespace strobe {
namespace {

// LibTorch 1.13 keys optimizer state by the parameter's TensorImpl address printed as a string, 2.x by the
// address itself.
template <typename StateMap>
typename StateMap::key_type StateKey(const StateMap&, const at::Tensor& parameter) {
  if constexpr (std::is_same_v<typename StateMap::key_type, std::string>) {
    std::ostringstream key;
    key << parameter.unsafeGetTensorImpl();
    return key.str();
  } else {
    return parameter.unsafeGetTensorImpl();
  }
}

}  // namespace

std::unique_ptr<torch::optim::SGD> MakeSgd(Classifier& model, const OptimizerOptions& config) {
  std::vector<torch::Tensor> decayed;
  std::vector<torch::Tensor> not_decayed;
  for (const torch::Tensor& parameter : model.parameters()) {
    (parameter.dim() >= 2 ? decayed : not_decayed).push_back(parameter);
  }
  auto options = [&](double weight_decay) {
    return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(/*lr=*/0.0)
                                                          .momentum(config.momentum)
                                                          .nesterov(config.nesterov)
                                                          .weight_decay(weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decayed, options(config.weight_decay));
  groups.emplace_back(not_decayed, options(0.0));
  return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(0.0));
}

void SgdStep(torch::optim::SGD& optimizer) {
  torch::NoGradGuard no_grad;
  auto& state = optimizer.state();
  for (auto& group : optimizer.param_groups()) {
    const auto& options = static_cast<const torch::optim::SGDOptions&>(group.options());
    std::vector<at::Tensor> params;
    std::vector<at::Tensor> grads;
    for (const at::Tensor& parameter : group.params()) {
      if (!parameter.grad().defined()) continue;
      params.push_back(parameter);
      grads.push_back(parameter.grad());
    }
    if (params.empty()) continue;
    std::vector<at::Tensor> steps =
        options.weight_decay() != 0 ? at::_foreach_add(grads, params, options.weight_decay()) : grads;
    if (options.momentum() != 0) {
      std::vector<at::Tensor> buffers;
      std::vector<at::Tensor> running;  // buffers from earlier steps, and this step's contributions to them
      std::vector<at::Tensor> running_steps;
      for (size_t i = 0; i < params.size(); ++i) {
        const auto key = StateKey(state, params[i]);
        const auto found = state.find(key);
        if (found == state.end()) {  // the first step: the buffer starts as the step itself
          at::Tensor buffer = steps[i].clone().detach();
          auto fresh = std::make_unique<torch::optim::SGDParamState>();
          fresh->momentum_buffer(buffer);
          state[key] = std::move(fresh);
          buffers.push_back(buffer);
          continue;
        }
        at::Tensor buffer = static_cast<torch::optim::SGDParamState&>(*found->second).momentum_buffer();
        buffers.push_back(buffer);
        running.push_back(buffer);
        running_steps.push_back(steps[i]);
      }
      if (!running.empty()) {
        at::_foreach_mul_(running, options.momentum());
        at::_foreach_add_(running, running_steps, 1 - options.dampening());
      }
      steps = options.nesterov() ? at::_foreach_add(steps, buffers, options.momentum()) : buffers;
    }
    at::_foreach_add_(params, steps, -options.lr());
  }
}

void SetLearningRate(torch::optim::SGD& optimizer, double lr, double no_decay_lr_factor) {
  auto& groups = optimizer.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    static_cast<torch::optim::SGDOptions&>(groups[i].options()).lr(i == 1 ? lr * no_decay_lr_factor : lr);
  }
}

void SetMomentum(torch::optim::SGD& optimizer, double momentum) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).momentum(momentum);
  }
}

std::vector<std::pair<std::string, at::Tensor>> MomentumBuffers(torch::optim::SGD& optimizer, Classifier& model) {
  std::vector<std::pair<std::string, at::Tensor>> buffers;
  auto& state = optimizer.state();
  for (const auto& named : model.named_parameters()) {
    const auto found = state.find(StateKey(state, named.value()));
    if (found == state.end()) continue;
    const auto& sgd_state = static_cast<const torch::optim::SGDParamState&>(*found->second);
    if (sgd_state.momentum_buffer().defined()) buffers.emplace_back(named.key(), sgd_state.momentum_buffer());
  }
  return buffers;
}

absl::Status RestoreMomentumBuffers(torch::optim::SGD& optimizer, Classifier& model,
                                    const std::vector<std::pair<std::string, at::Tensor>>& buffers) {
  const auto parameters = model.named_parameters();
  std::map<std::string, at::Tensor> by_name(buffers.begin(), buffers.end());
  for (const auto& [name, buffer] : by_name) {
    const at::Tensor* parameter = parameters.find(name);
    if (parameter == nullptr || !buffer.sizes().equals(parameter->sizes()) ||
        buffer.scalar_type() != parameter->scalar_type()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("momentum buffer '%s' does not match a parameter of this model", name));
    }
  }
  auto& state = optimizer.state();
  torch::NoGradGuard no_grad;
  for (const auto& named : parameters) {
    const auto key = StateKey(state, named.value());
    const auto buffer = by_name.find(named.key());
    if (buffer == by_name.end()) {
      state.erase(key);
      continue;
    }
    auto sgd_state = std::make_unique<torch::optim::SGDParamState>();
    // On the parameter's device and in its layout (channels-last weights keep channels-last momentum).
    sgd_state->momentum_buffer(at::empty_like(named.value()).copy_(buffer->second));
    state[key] = std::move(sgd_state);
  }
  return absl::OkStatus();
}

}  // namespace strobe
