#include "worker/model_ema.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_format.h"

namespace strobe {

ModelEma::ModelEma(Classifier& model, double decay, bool warmup) : decay_(decay), warmup_(warmup) {
  for (const auto& parameter : model.named_parameters()) {
    names_.push_back(parameter.key());
    parameters_.push_back(parameter.value());
  }
  Reset();
}

double ModelEma::Decay(double decay, bool warmup, int64_t steps_done) {
  const int64_t step = std::max<int64_t>(0, steps_done - 1);
  if (step <= 0) return 0.0;
  if (!warmup) return decay;
  return std::min(decay, 1.0 - std::pow(1.0 + static_cast<double>(step), -2.0 / 3.0));
}

void ModelEma::Update(int64_t steps_done) {
  torch::NoGradGuard no_grad;
  const double decay = Decay(decay_, warmup_, steps_done);
  at::_foreach_mul_(averages_, decay);
  at::_foreach_add_(averages_, parameters_, 1.0 - decay);
}

void ModelEma::Reset() {
  torch::NoGradGuard no_grad;
  averages_.clear();
  for (const at::Tensor& parameter : parameters_) averages_.push_back(parameter.detach().clone());
}

std::vector<std::pair<std::string, at::Tensor>> ModelEma::Averages() const {
  std::vector<std::pair<std::string, at::Tensor>> named;
  for (size_t i = 0; i < names_.size(); ++i) named.emplace_back(names_[i], averages_[i].cpu());
  return named;
}

absl::Status ModelEma::Restore(const std::vector<std::pair<std::string, at::Tensor>>& saved) {
  const std::map<std::string, at::Tensor> by_name(saved.begin(), saved.end());
  if (by_name.size() != names_.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("the EMA holds %d tensors, this model has %d parameters", by_name.size(), names_.size()));
  }
  for (size_t i = 0; i < names_.size(); ++i) {
    const auto found = by_name.find(names_[i]);
    if (found == by_name.end() || !found->second.sizes().equals(parameters_[i].sizes()) ||
        found->second.scalar_type() != parameters_[i].scalar_type()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("the EMA's '%s' does not match a parameter of this model", names_[i]));
    }
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < names_.size(); ++i) averages_[i].copy_(by_name.at(names_[i]));
  return absl::OkStatus();
}

ModelEma::Swapped::Swapped(ModelEma& ema) : ema_(ema) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < ema_.parameters_.size(); ++i) {
    trained_.push_back(ema_.parameters_[i].detach().clone());
    ema_.parameters_[i].copy_(ema_.averages_[i]);
  }
}

ModelEma::Swapped::~Swapped() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < trained_.size(); ++i) ema_.parameters_[i].copy_(trained_[i]);
}

}  // namespace strobe
