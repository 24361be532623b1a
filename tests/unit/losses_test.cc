#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "augment/soft_targets.h"
#include "ops/cross_entropy.h"
#include "worker/task_options.h"

namespace strobe {
namespace {

TEST(CrossEntropyTest, HardLabelsMatchHandComputedValue) {
  // Row 0: logits (0, ln 3) -> p(class 1) = 3/4. Row 1: (0, 0) -> p(class 0) = 1/2.
  at::Tensor logits = at::tensor({0.0, std::log(3.0), 0.0, 0.0}, at::kDouble).view({2, 2});
  at::Tensor labels = at::tensor({1, 0}, at::kLong);
  const double expected = (-std::log(0.75) - std::log(0.5)) / 2;
  EXPECT_NEAR(CrossEntropy(logits, labels).item<double>(), expected, 1e-12);
}

TEST(CrossEntropyTest, SoftTargetsMatchHandComputedValue) {
  at::Tensor logits = at::tensor({0.0, std::log(3.0)}, at::kDouble).view({1, 2});
  at::Tensor target = at::tensor({0.25, 0.75}, at::kDouble).view({1, 2});
  const double expected = -(0.25 * std::log(0.25) + 0.75 * std::log(0.75));
  EXPECT_NEAR(CrossEntropy(logits, target).item<double>(), expected, 1e-12);
}

TEST(CrossEntropyTest, OneHotSoftTargetsEqualHardLabels) {
  at::manual_seed(3);
  at::Tensor logits = at::randn({8, 5});
  at::Tensor labels = at::randint(0, 5, {8}, at::kLong);
  EXPECT_NEAR(CrossEntropy(logits, labels).item<double>(),
              CrossEntropy(logits, SmoothedOneHot(labels, 5, 0.0)).item<double>(), 1e-6);
}

TEST(CrossEntropyTest, RejectsMismatchedShapes) {
  at::Tensor logits = at::zeros({2, 3});
  EXPECT_THROW(CrossEntropy(logits, at::zeros({3}, at::kLong)), std::invalid_argument);
  EXPECT_THROW(CrossEntropy(logits, at::zeros({2, 4})), std::invalid_argument);
  EXPECT_THROW(CrossEntropy(at::zeros({2}), at::zeros({2}, at::kLong)), std::invalid_argument);
}

TEST(SoftTargetsTest, LabelSmoothingFollowsTimmConvention) {
  at::Tensor targets = SmoothedOneHot(at::tensor({2, 0}, at::kLong), 4, 0.1);
  EXPECT_FLOAT_EQ(targets[0][2].item<float>(), 0.9f + 0.025f);
  EXPECT_FLOAT_EQ(targets[0][0].item<float>(), 0.025f);
  EXPECT_FLOAT_EQ(targets[1][0].item<float>(), 0.925f);
  EXPECT_NEAR(targets.sum(1)[1].item<float>(), 1.0f, 1e-6);
  EXPECT_THROW(SmoothedOneHot(at::tensor({4}, at::kLong), 4, 0.1), std::invalid_argument);
  EXPECT_THROW(SmoothedOneHot(at::tensor({1}, at::kLong), 4, 1.0), std::invalid_argument);
}

TEST(TaskLossTest, RegressionLossesMatchHandComputedValues) {
  TaskOptions task;
  task.task = Task::kRegression;
  const at::Tensor outputs = at::tensor({1.0, 4.0, 2.5}, at::kDouble).view({3, 1});
  const at::Tensor labels = at::tensor({1, 2, 5}, at::kLong);
  const at::Tensor targets = task.Targets(labels);
  ASSERT_EQ(targets.sizes(), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(targets.scalar_type(), at::kFloat);
  // Errors 0, 2, -2.5: MSE (0 + 4 + 6.25) / 3; smooth-L1 with beta 1: 0, 2 - 0.5, 2.5 - 0.5.
  EXPECT_NEAR(task.Loss(outputs, targets).item<double>(), 10.25 / 3, 1e-12);
  task.regression_loss = RegressionLoss::kSmoothL1;
  EXPECT_NEAR(task.Loss(outputs, targets).item<double>(), (0 + 1.5 + 2.0) / 3, 1e-12);
  // With beta 4 every error is in the quadratic zone: 0.5 e^2 / beta.
  task.smooth_l1_beta = 4;
  EXPECT_NEAR(task.Loss(outputs, targets).item<double>(), (0 + 0.5 * 4 / 4 + 0.5 * 6.25 / 4) / 3, 1e-12);
  EXPECT_EQ(task.ModelOutputs(10), 1);
}

TEST(TaskLossTest, ClassificationKeepsLabelsAndCrossEntropy) {
  const TaskOptions task;
  const at::Tensor labels = at::tensor({1, 0}, at::kLong);
  EXPECT_TRUE(task.Targets(labels).equal(labels));
  const at::Tensor logits = at::tensor({0.0, std::log(3.0), 0.0, 0.0}, at::kDouble).view({2, 2});
  EXPECT_NEAR(task.Loss(logits, labels).item<double>(), (-std::log(0.75) - std::log(0.5)) / 2, 1e-12);
  EXPECT_EQ(task.ModelOutputs(10), 10);
  EXPECT_EQ(TaskOptions::ParseTask("ordinal").status().message(),
            "--task=ordinal is not one of classification, regression");
  EXPECT_EQ(TaskOptions::ParseRegressionLoss("huber").status().message(),
            "--regression_loss=huber is not one of mse, smooth_l1");
}

}  // namespace
}  // namespace strobe
