#ifndef STROBE_TESTS_SUPPORT_SCRIPTED_TEST_MODEL_H_
#define STROBE_TESTS_SUPPORT_SCRIPTED_TEST_MODEL_H_

#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <string>

namespace strobe::testing {

// A small TorchScript classifier compiled in C++ (no Python needed): conv 3x3 -> BatchNorm (batch statistics in
// training, running ones in eval, updated in place as torch.nn.BatchNorm2d does) -> ReLU -> global average pool
// -> linear. Submodules "features.conv", "features.bn", "head", so names are dotted as a scripted torchvision
// model's. Weights are drawn from torch's global generator.
torch::jit::Module ScriptedConvNet(int64_t in_channels, int64_t num_classes);

// A module whose forward is `body` (TorchScript source of a method `forward(self, x)`), with one parameter
// "weight" of `weight_shape` (none when empty).
torch::jit::Module ScriptedModule(const std::string& body, std::vector<int64_t> weight_shape = {});

}  // namespace strobe::testing

#endif  // STROBE_TESTS_SUPPORT_SCRIPTED_TEST_MODEL_H_
