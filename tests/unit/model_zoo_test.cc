#include "worker/models/model_zoo.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/tensor_checks.h"

namespace strobe {
namespace {

int64_t ParameterCount(Classifier& model) {
  int64_t count = 0;
  for (const auto& p : model.parameters()) count += p.numel();
  return count;
}

TEST(ModelZooTest, OutputShapesForEveryModel) {
  for (const std::string& name : ModelNames()) {
    for (int64_t channels : {1, 3}) {
      auto model = MakeModel(name, channels, 7);
      ASSERT_TRUE(model.ok()) << model.status();
      (*model)->eval();
      torch::NoGradGuard no_grad;
      EXPECT_EQ((*model)->forward(torch::randn({2, channels, 32, 32})).sizes(), (std::vector<int64_t>{2, 7}))
          << name;
    }
  }
}

TEST(ModelZooTest, ParameterCountsMatchThePublishedArchitectures) {
  // torchvision: resnet18 11,689,512 and resnet50 25,557,032 parameters with 1000 classes; ResNet-20 (He et al.
  // 2016) 0.27M with projection shortcuts.
  EXPECT_EQ(ParameterCount(**MakeModel("resnet18", 3, 1000)), 11689512);
  EXPECT_EQ(ParameterCount(**MakeModel("resnet50", 3, 1000)), 25557032);
  EXPECT_EQ(ParameterCount(**MakeModel("resnet20", 3, 10)), 272474);
}

TEST(ModelZooTest, SameSeedGivesSameWeights) {
  torch::manual_seed(5);
  auto a = *MakeModel("resnet20", 1, 10);
  torch::manual_seed(5);
  auto b = *MakeModel("resnet20", 1, 10);
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(a->parameters()[i], b->parameters()[i]));
  }
}

// The built-in ResNets' forward as their layers compose without fusion: each Sequential's own forward, and
// relu(body + shortcut) at every block's end.
torch::Tensor UnfusedResNetForward(torch::nn::Module& model, const torch::Tensor& images) {
  auto child = [](torch::nn::Module& parent, const std::string& name) { return parent.named_children()[name]; };
  torch::Tensor x = child(model, "stem")->as<torch::nn::Sequential>()->forward(images);
  for (const auto& block : child(model, "stages")->children()) {
    const auto children = block->named_children();
    const torch::Tensor identity =
        children.contains("shortcut") ? children["shortcut"]->as<torch::nn::Sequential>()->forward(x) : x;
    x = torch::relu(children["body"]->as<torch::nn::Sequential>()->forward(x) + identity);
  }
  return child(model, "fc")->as<torch::nn::Linear>()->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
}

// The fused BatchNorm + ReLU (worker/models/batch_norm_relu.h) changes nothing: one training step of every built-in
// model, from the same weights and batch, gives bitwise the same logits, gradients and running statistics as the
// layers run one by one.
TEST(ModelZooTest, TrainingStepIsBitwiseTheUnfusedLayers) {
  // The stem's pair and every block's pairs: the fused kernel ran where the test means it to.
  const std::vector<std::pair<const char*, int64_t>> models{{"resnet20", 19}, {"resnet18", 17}, {"resnet50", 49}};
  for (const auto& [name, pairs] : models) {
    std::vector<torch::Tensor> results[2];
    for (const bool fused : {true, false}) {
      torch::manual_seed(5);
      auto model = *MakeModel(name, 3, 10);
      model->train();
      torch::manual_seed(6);
      const torch::Tensor images = torch::randn({4, 3, 40, 40});
      const torch::Tensor logits = fused ? model->forward(images) : UnfusedResNetForward(*model, images);
      EXPECT_EQ(testing::CountAutogradNodes(logits, "BatchNormReLUFunction"), fused ? pairs : 0) << name;
      torch::cross_entropy_loss(logits, torch::arange(4) % 10).backward();
      results[fused].push_back(logits.detach());
      for (const auto& p : model->parameters()) results[fused].push_back(p.grad());
      for (const auto& b : model->buffers()) results[fused].push_back(b);
    }
    ASSERT_EQ(results[0].size(), results[1].size());
    for (size_t i = 0; i < results[0].size(); ++i) {
      EXPECT_TRUE(testing::SameBits(results[0][i], results[1][i]))
          << name << ": result " << i << " (0: logits, then gradients, then buffers)";
    }
  }
}

TEST(ModelZooTest, UnknownModelNamesTheChoices) {
  const absl::Status status = MakeModel("vgg16", 3, 10).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "--model=vgg16 is not a known model; choose one of: resnet18, resnet20, resnet50, or a TorchScript file "
            "(PATH.pt)");
  EXPECT_FALSE(MakeModel("resnet20", 0, 10).ok());
}

}  // namespace
}  // namespace strobe
