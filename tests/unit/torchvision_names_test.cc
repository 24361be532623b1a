#include "worker/models/torchvision_names.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "tests/unit/temp_dir.h"
#include "worker/checkpoint/pickled_tensors.h"
#include "worker/models/initial_weights.h"
#include "worker/models/model_zoo.h"

namespace strobe {
namespace {

// Every parameter and buffer of the built-in model, by Strobe's name.
NamedTensors AllTensors(Classifier& model) {
  NamedTensors all = Named(model.named_parameters());
  for (auto& buffer : Named(model.named_buffers())) all.push_back(std::move(buffer));
  return all;
}

std::set<std::string> TorchvisionNames(const std::string& model_name) {
  const ResNetSpec spec = *ModelSpec(model_name, 3, 10);
  std::set<std::string> names;
  for (const auto& [name, tensor] : AllTensors(**MakeModel(model_name, 3, 10))) {
    absl::StatusOr<std::string> renamed = TorchvisionName(spec, name);
    EXPECT_TRUE(renamed.ok()) << renamed.status();
    if (renamed.ok()) names.insert(*renamed);
  }
  return names;
}

TEST(TorchvisionNamesTest, EveryTensorHasItsOwnTorchvisionName) {
  // torchvision's state_dict() has 122 entries for resnet18 and 320 for resnet50 (parameters, BatchNorm running
  // statistics and num_batches_tracked); strict loading of real exports is e2e_torchvision_interchange's.
  const std::set<std::string> resnet18 = TorchvisionNames("resnet18");
  EXPECT_EQ(resnet18.size(), 122u);
  for (const char* name : {"conv1.weight", "bn1.num_batches_tracked", "layer1.1.bn2.running_var",
                           "layer2.0.downsample.0.weight", "layer4.1.conv2.weight", "fc.bias"}) {
    EXPECT_EQ(resnet18.count(name), 1u) << name;
  }
  const std::set<std::string> resnet50 = TorchvisionNames("resnet50");
  EXPECT_EQ(resnet50.size(), 320u);
  for (const char* name : {"layer1.0.downsample.1.running_mean", "layer3.5.conv3.weight", "layer4.2.bn3.bias"}) {
    EXPECT_EQ(resnet50.count(name), 1u) << name;
  }
}

TEST(TorchvisionNamesTest, MapsBlocksAcrossStagesAndRejectsWhatHasNoCounterpart) {
  const ResNetSpec resnet18 = *ModelSpec("resnet18", 1, 10);
  const ResNetSpec resnet50 = *ModelSpec("resnet50", 1, 10);
  EXPECT_EQ(*TorchvisionName(resnet18, "stem.0.weight"), "conv1.weight");
  EXPECT_EQ(*TorchvisionName(resnet18, "stem.1.running_mean"), "bn1.running_mean");
  EXPECT_EQ(*TorchvisionName(resnet18, "stages.2.body.3.weight"), "layer2.0.conv2.weight");
  EXPECT_EQ(*TorchvisionName(resnet18, "stages.2.shortcut.1.bias"), "layer2.0.downsample.1.bias");
  EXPECT_EQ(*TorchvisionName(resnet50, "stages.3.body.7.running_var"), "layer2.0.bn3.running_var");
  EXPECT_EQ(*TorchvisionName(resnet50, "stages.15.body.0.weight"), "layer4.2.conv1.weight");
  EXPECT_EQ(*TorchvisionName(resnet50, "fc.weight"), "fc.weight");
  EXPECT_FALSE(TorchvisionName(resnet18, "stages.2.body.2.weight").ok());  // a ReLU has no tensors
  EXPECT_FALSE(TorchvisionName(resnet18, "stages.8.body.0.weight").ok());  // resnet18 has 8 blocks
  EXPECT_FALSE(TorchvisionName(resnet18, "head.weight").ok());
  EXPECT_FALSE(HasTorchvisionNames(*ModelSpec("resnet20", 1, 10)));
  EXPECT_FALSE(TorchvisionName(*ModelSpec("resnet20", 1, 10), "stem.0.weight").ok());
}

// A state_dict file with torchvision's names for `model`'s tensors, minus `drop`.
std::string TorchvisionFile(testing::TempDir& dir, Classifier& model, const ResNetSpec& spec,
                            const std::string& drop = "") {
  NamedTensors renamed;
  for (const auto& [name, tensor] : AllTensors(model)) {
    const std::string torchvision = *TorchvisionName(spec, name);
    if (torchvision != drop) renamed.emplace_back(torchvision, tensor);
  }
  const std::string path = dir.Path("weights.pt");
  testing::WriteFile(path, Pickle(TensorDict(renamed)));
  return path;
}

TEST(InitialWeightsTest, LoadsTorchvisionNamesExactlyAndNothingWhenATensorIsMissing) {
  testing::TempDir dir;
  const ResNetSpec spec = *ModelSpec("resnet18", 1, 10);
  torch::manual_seed(1);
  auto source = *MakeModel("resnet18", 1, 10);
  for (auto& buffer : source->buffers()) buffer.add_(1);  // statistics that a fresh model does not have
  torch::manual_seed(2);
  auto target = *MakeModel("resnet18", 1, 10);

  absl::StatusOr<InitialWeights> loaded =
      LoadInitialWeights(*target, "resnet18", spec, TorchvisionFile(dir, *source, spec), {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->torchvision_names);
  EXPECT_EQ(loaded->tensors, 122);
  const NamedTensors expected = AllTensors(*source), got = AllTensors(*target);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(got[i].second.equal(expected[i].second)) << got[i].first;

  torch::manual_seed(3);
  auto untouched = *MakeModel("resnet18", 1, 10);
  const at::Tensor before = untouched->parameters()[0].clone();
  const absl::StatusOr<InitialWeights> failed = LoadInitialWeights(
      *untouched, "resnet18", spec, TorchvisionFile(dir, *source, spec, "layer3.1.bn1.weight"), {"fc"});
  EXPECT_EQ(failed.status().message(), absl::StrCat("--init_weights=", dir.Path("weights.pt"),
                                                    " does not fit --model=resnet18 (read with torchvision's "
                                                    "names): 1 missing: layer3.1.bn1.weight"));
  EXPECT_TRUE(untouched->parameters()[0].equal(before));  // nothing copied
}

}  // namespace
}  // namespace strobe
