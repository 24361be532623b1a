#include "worker/optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "worker/models/model_zoo.h"

namespace strobe {
namespace {

TEST(OptimizerTest, NoWeightDecayOnBatchNormAndBiases) {
  auto model = *MakeModel("resnet20", 1, 10);
  auto sgd = MakeSgd(*model, OptimizerOptions{0.9, true, 1e-4});
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
  auto sgd = MakeSgd(tiny, OptimizerOptions{0.9, true, 0.01});
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

// One SGD step of `model` on a fixed batch.
void Step(Classifier& model, torch::optim::SGD& sgd, double lr) {
  torch::manual_seed(7);
  const torch::Tensor images = torch::randn({4, 1, 28, 28});
  sgd.zero_grad();
  model.forward(images).pow(2).mean().backward();
  SetLearningRate(sgd, lr);
  sgd.step();
}

TEST(OptimizerTest, ForeachStepIsBitwiseTorchsStep) {
  for (bool nesterov : {true, false}) {
    torch::manual_seed(4);
    auto reference = *MakeModel("resnet20", 1, 10);
    torch::manual_seed(4);
    auto foreach = *MakeModel("resnet20", 1, 10);
    auto reference_sgd = MakeSgd(*reference, OptimizerOptions{0.9, nesterov, 5e-4});
    auto foreach_sgd = MakeSgd(*foreach, OptimizerOptions{0.9, nesterov, 5e-4});
    for (int step = 0; step < 3; ++step) {
      for (auto* model : {&reference, &foreach}) {
        torch::manual_seed(10 + step);
        for (auto& p : (*model)->parameters()) p.mutable_grad() = torch::randn_like(p);
      }
      SetLearningRate(*reference_sgd, 0.1, 0.5);
      SetLearningRate(*foreach_sgd, 0.1, 0.5);
      reference_sgd->step();
      SgdStep(*foreach_sgd);
    }
    const auto a = reference->parameters();
    const auto b = foreach->parameters();
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i << " nesterov " << nesterov;
    const auto buffers_a = MomentumBuffers(*reference_sgd, *reference);
    const auto buffers_b = MomentumBuffers(*foreach_sgd, *foreach);
    ASSERT_EQ(buffers_a.size(), buffers_b.size());
    for (size_t i = 0; i < buffers_a.size(); ++i) EXPECT_TRUE(torch::equal(buffers_a[i].second, buffers_b[i].second));
  }
}

TEST(OptimizerTest, MomentumBuffersRestoreBitwiseContinuation) {
  torch::manual_seed(1);
  auto original = *MakeModel("resnet20", 1, 10);
  auto original_sgd = MakeSgd(*original, OptimizerOptions{});
  EXPECT_TRUE(MomentumBuffers(*original_sgd, *original).empty());  // no state before the first step
  Step(*original, *original_sgd, 0.1);
  Step(*original, *original_sgd, 0.1);
  const auto buffers = MomentumBuffers(*original_sgd, *original);
  ASSERT_EQ(buffers.size(), original->parameters().size());

  torch::manual_seed(2);
  auto restored = *MakeModel("resnet20", 1, 10);
  auto forgetful = *MakeModel("resnet20", 1, 10);
  {
    torch::NoGradGuard no_grad;
    for (auto* model : {&restored, &forgetful}) {
      auto from = original->named_parameters();
      for (auto& item : (*model)->named_parameters()) item.value().copy_(from[item.key()]);
      auto buffers_from = original->named_buffers();
      for (auto& item : (*model)->named_buffers()) item.value().copy_(buffers_from[item.key()]);
    }
  }
  auto restored_sgd = MakeSgd(*restored, OptimizerOptions{});
  ASSERT_TRUE(RestoreMomentumBuffers(*restored_sgd, *restored, buffers).ok());
  auto forgetful_sgd = MakeSgd(*forgetful, OptimizerOptions{});

  Step(*original, *original_sgd, 0.1);
  Step(*restored, *restored_sgd, 0.1);
  Step(*forgetful, *forgetful_sgd, 0.1);
  const auto expected = original->named_parameters();
  bool forgetful_differs = false;
  for (const auto& item : restored->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), expected[item.key()])) << item.key();
  }
  for (const auto& item : forgetful->named_parameters()) {
    forgetful_differs |= !torch::equal(item.value(), expected[item.key()]);
  }
  EXPECT_TRUE(forgetful_differs);  // the momentum state matters, so the check above can fail

  const auto wrong = std::vector<std::pair<std::string, at::Tensor>>{{"fc.weight", torch::zeros({3, 3})}};
  EXPECT_EQ(RestoreMomentumBuffers(*restored_sgd, *restored, wrong).message(),
            "momentum buffer 'fc.weight' does not match a parameter of this model");
}

TEST(OptimizerTest, PerGroupLrFactorAndMomentum) {
  auto model = *MakeModel("resnet20", 1, 10);
  auto sgd = MakeSgd(*model, OptimizerOptions{});
  SetLearningRate(*sgd, 0.4, /*no_decay_lr_factor=*/0.25);
  SetMomentum(*sgd, 0.85);
  const auto& decayed = static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[0].options());
  const auto& plain = static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[1].options());
  EXPECT_EQ(decayed.lr(), 0.4);
  EXPECT_EQ(plain.lr(), 0.1);  // BatchNorm parameters and biases
  EXPECT_EQ(decayed.momentum(), 0.85);
  EXPECT_EQ(plain.momentum(), 0.85);
}

}  // namespace
}  // namespace strobe
