#ifndef STROBE_WORKER_TASK_OPTIONS_H_
#define STROBE_WORKER_TASK_OPTIONS_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace strobe {

// What the model learns from a sample's label.
enum class Task {
  kClassification,  // logits over the classes, cross-entropy (soft targets under mixing or label smoothing)
  kRegression,      // one value: the label read as an ordinal number (class k is the value k)
};

enum class RegressionLoss { kMse, kSmoothL1 };

// The task and its loss; the model's output width and the targets follow from it.
struct TaskOptions {
  Task task = Task::kClassification;
  RegressionLoss regression_loss = RegressionLoss::kMse;
  double smooth_l1_beta = 1.0;  // smooth-L1: quadratic below beta, linear above (PyTorch's SmoothL1Loss)

  bool regression() const { return task == Task::kRegression; }
  // The model's outputs for data of `num_classes` classes: one logit each, or one value for regression.
  int64_t ModelOutputs(int64_t num_classes) const { return regression() ? 1 : num_classes; }
  // The training targets of int64 labels [N] before mixing: the labels, or float values [N, 1].
  at::Tensor Targets(const at::Tensor& labels) const;
  // The mean training loss of `outputs` [N, outputs] against targets (labels or soft targets for classification,
  // float [N, 1] values for regression).
  at::Tensor Loss(const at::Tensor& outputs, const at::Tensor& targets) const;

  absl::Status Validate() const;

  static absl::StatusOr<Task> ParseTask(const std::string& name);
  static std::string TaskName(Task task);
  static absl::StatusOr<RegressionLoss> ParseRegressionLoss(const std::string& name);
  static std::string RegressionLossName(RegressionLoss loss);

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("task", self.task, ParseTask, TaskName);
    visit("regression_loss", self.regression_loss, ParseRegressionLoss, RegressionLossName);
    visit("smooth_l1_beta", self.smooth_l1_beta);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_TASK_OPTIONS_H_
