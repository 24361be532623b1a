#include "worker/task_options.h"

#include <ATen/ATen.h>

#include "absl/strings/str_format.h"
#include "ops/cross_entropy.h"
#include "ops/option_checks.h"

namespace strobe {

at::Tensor TaskOptions::Targets(const at::Tensor& labels) const {
  return regression() ? labels.to(at::kFloat).unsqueeze(1) : labels;
}

at::Tensor TaskOptions::Loss(const at::Tensor& outputs, const at::Tensor& targets) const {
  if (!regression()) return CrossEntropy(outputs, targets);
  const at::Tensor values = targets.to(outputs.scalar_type());
  return regression_loss == RegressionLoss::kMse ? at::mse_loss(outputs, values)
                                                 : at::smooth_l1_loss(outputs, values, at::Reduction::Mean,
                                                                      smooth_l1_beta);
}

absl::Status TaskOptions::Validate() const {
  return CheckInRange("smooth_l1_beta", smooth_l1_beta, 0, 1e9, false);
}

absl::StatusOr<Task> TaskOptions::ParseTask(const std::string& name) {
  if (name == "classification") return Task::kClassification;
  if (name == "regression") return Task::kRegression;
  return absl::InvalidArgumentError(
      absl::StrFormat("--task=%s is not one of classification, regression", name));
}

std::string TaskOptions::TaskName(Task task) {
  return task == Task::kRegression ? "regression" : "classification";
}

absl::StatusOr<RegressionLoss> TaskOptions::ParseRegressionLoss(const std::string& name) {
  if (name == "mse") return RegressionLoss::kMse;
  if (name == "smooth_l1") return RegressionLoss::kSmoothL1;
  return absl::InvalidArgumentError(absl::StrFormat("--regression_loss=%s is not one of mse, smooth_l1", name));
}

std::string TaskOptions::RegressionLossName(RegressionLoss loss) {
  return loss == RegressionLoss::kMse ? "mse" : "smooth_l1";
}

}  // namespace strobe
