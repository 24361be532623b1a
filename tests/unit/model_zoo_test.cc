#include "worker/models/model_zoo.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

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
