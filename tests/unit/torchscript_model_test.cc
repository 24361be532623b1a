#include "worker/models/torchscript_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/scripted_test_model.h"
#include "tests/unit/temp_dir.h"
#include "worker/checkpoint/pickled_tensors.h"
#include "worker/models/model_contract.h"
#include "worker/models/model_options.h"
#include "worker/models/model_zoo.h"
#include "worker/optimizer.h"

namespace strobe {
namespace {

using ::testing::HasSubstr;
using testing::ScriptedConvNet;
using testing::ScriptedModule;
using testing::TempDir;

std::shared_ptr<TorchScriptClassifier> SaveAndLoad(const TempDir& dir, torch::jit::Module module) {
  const std::string path = dir.Path("model.pt");
  module.save(path);
  absl::StatusOr<std::shared_ptr<TorchScriptClassifier>> loaded = LoadTorchScriptModel(path);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return *loaded;
}

TEST(TorchScriptModelTest, ParametersAndBuffersAreTheModulesOwnUnderItsNames) {
  TempDir dir;
  torch::manual_seed(1);
  auto model = SaveAndLoad(dir, ScriptedConvNet(1, 5));
  std::vector<std::string> names;
  for (const auto& parameter : model->named_parameters()) names.push_back(parameter.key());
  EXPECT_EQ(names, (std::vector<std::string>{"features.conv.weight", "features.conv.bias", "features.bn.weight",
                                             "features.bn.bias", "head.weight", "head.bias"}));
  std::vector<std::string> buffers;
  for (const auto& buffer : model->named_buffers()) buffers.push_back(buffer.key());
  EXPECT_EQ(buffers, (std::vector<std::string>{"features.bn.running_mean", "features.bn.running_var",
                                               "features.bn.num_batches_tracked"}));
  for (const auto& parameter : model->module().named_parameters()) {
    EXPECT_TRUE(model->named_parameters()[parameter.name].is_same(parameter.value)) << parameter.name;
  }
}

TEST(TorchScriptModelTest, AnOptimizerStepAndBatchNormUpdateTheModulesTensors) {
  TempDir dir;
  torch::manual_seed(2);
  auto model = SaveAndLoad(dir, ScriptedConvNet(1, 5));
  auto sgd = MakeOptimizer(*model, OptimizerOptions{});
  const torch::Tensor head_before = model->module().attr("head").toModule().attr("weight").toTensor().clone();
  model->train();
  const torch::Tensor loss =
      torch::cross_entropy_loss(model->forward(torch::randn({4, 1, 6, 6})), torch::tensor({0, 1, 2, 3}));
  loss.backward();
  sgd->Step(0.1);
  const torch::jit::Module bn = model->module().attr("features").toModule().attr("bn").toModule();
  EXPECT_FALSE(torch::equal(model->module().attr("head").toModule().attr("weight").toTensor(), head_before));
  EXPECT_EQ(bn.attr("num_batches_tracked").toTensor().item<int64_t>(), 1);
  EXPECT_TRUE(torch::equal(bn.attr("running_mean").toTensor(), model->named_buffers()["features.bn.running_mean"]));
  EXPECT_GT(bn.attr("running_mean").toTensor().abs().sum().item<float>(), 0.0f);
}

TEST(TorchScriptModelTest, TrainAndEvalReachTheModule) {
  TempDir dir;
  auto model = SaveAndLoad(dir, ScriptedConvNet(1, 5));
  model->eval();
  EXPECT_FALSE(model->module().is_training());
  EXPECT_FALSE(model->module().attr("features").toModule().attr("bn").toModule().is_training());
  model->train();
  EXPECT_TRUE(model->module().attr("features").toModule().attr("bn").toModule().is_training());
}

TEST(TorchScriptModelTest, MakeModelLoadsAPathAndBuiltInsStayBuiltIn) {
  TempDir dir;
  const std::string path = dir.Path("net.pt");
  ScriptedConvNet(3, 7).save(path);
  EXPECT_TRUE(IsTorchScriptPath(path));
  EXPECT_FALSE(IsTorchScriptPath("resnet18"));
  EXPECT_TRUE(CheckModelName(path).ok());
  absl::StatusOr<std::shared_ptr<Classifier>> model = MakeModel(path, 3, 7);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_NE(dynamic_cast<TorchScriptClassifier*>(model->get()), nullptr);
  EXPECT_THAT(std::string(CheckModelName(dir.Path("missing.pt")).message()),
              HasSubstr("missing.pt: cannot read this TorchScript file"));
  EXPECT_THAT(std::string(ModelOptions{path, "w.pt", ""}.Validate().message()),
              HasSubstr("--init_weights=w.pt loads into built-in models"));
}

TEST(TorchScriptModelTest, FilesThatAreNotTorchScriptSayWhatTheyAreAndHowToScript) {
  TempDir dir;
  const std::string state_dict = dir.Path("state_dict.pt");
  testing::WriteFile(state_dict, Pickle(TensorDict({{"fc.weight", torch::ones({2, 2})}})));
  absl::Status status = LoadTorchScriptModel(state_dict).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("is not a TorchScript module: it holds a dict of tensors"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("torch.jit.script(model).save(PATH)"));
  const std::string garbage = dir.Path("garbage.pt");
  testing::WriteFile(garbage, "not a model at all");
  EXPECT_THAT(std::string(LoadTorchScriptModel(garbage).status().message()),
              HasSubstr("garbage.pt is not a TorchScript module"));
}

// The contract check's verdict on a module saved and loaded as a user's would be.
absl::Status Contract(torch::jit::Module module, int64_t channels, int64_t classes) {
  TempDir dir;
  auto model = SaveAndLoad(dir, std::move(module));
  return CheckModelContract(*model, "m.pt", torch::randn({2, channels, 6, 6}), classes,
                            "the data has " + std::to_string(classes) + " classes");
}

TEST(TorchScriptModelTest, TheContractAcceptsAClassifierOfTheDataAndChangesNothing) {
  TempDir dir;
  torch::manual_seed(3);
  auto model = SaveAndLoad(dir, ScriptedConvNet(1, 5));
  model->train();
  EXPECT_TRUE(CheckModelContract(*model, "m.pt", torch::randn({2, 1, 6, 6}), 5, "the data has 5 classes").ok());
  EXPECT_TRUE(model->is_training());
  EXPECT_EQ(model->named_buffers()["features.bn.num_batches_tracked"].item<int64_t>(), 0);
  EXPECT_EQ(model->named_buffers()["features.bn.running_mean"].abs().sum().item<float>(), 0.0f);
}

TEST(TorchScriptModelTest, TheContractNamesEachWayAModelDoesNotFit) {
  EXPECT_THAT(std::string(Contract(ScriptedConvNet(1, 5), 1, 10).message()),
              HasSubstr("--model=m.pt returns shape [2, 5] for a batch of 2 images; the data has 10 classes, so it "
                        "must return [2, 10] (build it with num_classes=10)"));
  EXPECT_THAT(std::string(Contract(ScriptedConvNet(3, 5), 1, 5).message()),
              HasSubstr("--model=m.pt takes 3-channel images (its first convolution, features.conv.weight, has 3 "
                        "input channels), but the data's images have 1 channel(s)"));
  const std::string integer_output = R"JIT(
def forward(self, x):
    return torch.matmul(x.flatten(1), self.weight).argsort(1)
)JIT";
  EXPECT_THAT(std::string(Contract(ScriptedModule(integer_output, {36, 5}), 1, 5).message()),
              HasSubstr("returns Long values; training needs floating-point logits"));
  const std::string no_parameters = R"JIT(
def forward(self, x):
    return x.flatten(1)[:, :5]
)JIT";
  EXPECT_THAT(std::string(Contract(ScriptedModule(no_parameters), 1, 5).message()),
              HasSubstr("has no trainable parameters"));
  const std::string tuple_output = R"JIT(
def forward(self, x):
    y = torch.matmul(x.flatten(1), self.weight)
    return (y, y)
)JIT";
  EXPECT_THAT(std::string(Contract(ScriptedModule(tuple_output, {36, 5}), 1, 5).message()),
              HasSubstr("returns a Tuple, not a tensor of logits [N, classes]"));
}

}  // namespace
}  // namespace strobe
