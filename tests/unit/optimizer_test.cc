#include "worker/optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "worker/models/model_zoo.h"

namespace strobe {
namespace {

TEST(OptimizerTest, NoWeightDecayOnBatchNormAndBiases) {
  auto model = *MakeModel("resnet20", 1, 10);
  auto sgd = MakeSgd(*model, SgdConfig{0.9, true, 1e-4});
  ASSERT_EQ(sgd->param_groups().size(), 2u);
  const auto& decayed = static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[0].options());
  const auto& plain = static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[1].options());
  EXPECT_DOUBLE_EQ(decayed.weight_decay(), 1e-4);
  EXPECT_DOUBLE_EQ(plain.weight_decay(), 0.0);
  EXPECT_TRUE(decayed.nesterov());
  for (const auto& p : sgd->param_groups()[0].params()) EXPECT_GE(p.dim(), 2);
  for (const auto& p : sgd->param_groups()[1].params()) EXPECT_EQ(p.dim(), 1);
  // Every parameter lands in exactly one group.
  EXPECT_EQ(sgd->param_groups()[0].params().size() + sgd->param_groups()[1].params().size(),
            model->parameters().size());
}

TEST(OptimizerTest, NesterovStepMatchesHandComputedUpdate) {
  // One parameter of two dimensions (so it is decayed): w = 1, grad = 0.5, lr 0.1, momentum 0.9, wd 0.01.
  struct Tiny : Classifier {
    Tiny() { w = register_parameter("w", torch::ones({1, 1}, torch::kDouble)); }
    torch::Tensor forward(torch::Tensor x) override { return x * w; }
    torch::Tensor w;
  } tiny;
  auto sgd = MakeSgd(tiny, SgdConfig{0.9, true, 0.01});
  SetLearningRate(*sgd, 0.1);
  tiny.w.mutable_grad() = torch::full({1, 1}, 0.5, torch::kDouble);
  sgd->step();
  // d = g + wd*w = 0.51; buf = d; nesterov: d + 0.9*buf = 0.969; w = 1 - 0.1*0.969.
  EXPECT_NEAR(tiny.w.item<double>(), 1 - 0.1 * 0.969, 1e-12);
  sgd->step();  // same grad: d = 0.5 + 0.01*0.9031; buf = 0.9*0.51 + d; w -= 0.1*(d + 0.9*buf)
  const double w1 = 1 - 0.0969;
  const double d = 0.5 + 0.01 * w1;
  const double buf = 0.9 * 0.51 + d;
  EXPECT_NEAR(tiny.w.item<double>(), w1 - 0.1 * (d + 0.9 * buf), 1e-12);
}

}  // namespace
}  // namespace strobe
