#include "worker/optimizer.h"

#include <torch/torch.h>

namespace strobe {

std::unique_ptr<torch::optim::SGD> MakeSgd(Classifier& model, const SgdConfig& config) {
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

void SetLearningRate(torch::optim::SGD& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  }
}

}  // namespace strobe
