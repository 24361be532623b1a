#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "augment/soft_targets.h"
#include "ops/cross_entropy.h"

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

}  // namespace
}  // namespace strobe
