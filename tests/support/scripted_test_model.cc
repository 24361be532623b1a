#include "tests/support/scripted_test_model.h"

#include <torch/torch.h>

namespace strobe::testing {
namespace {

torch::jit::Module Named(const std::string& type) {
  torch::jit::Module module(type);
  module.register_attribute("training", c10::BoolType::get(), true);
  return module;
}

// Saved and loaded as a Python nn.Parameter is: a leaf that requires gradients.
torch::Tensor Trainable(const torch::Tensor& values) { return values.detach().requires_grad_(); }

}  // namespace

torch::jit::Module ScriptedConvNet(int64_t in_channels, int64_t num_classes) {
  constexpr int64_t kWidth = 8;
  torch::jit::Module conv = Named("Conv");
  conv.register_parameter("weight", Trainable(torch::randn({kWidth, in_channels, 3, 3}) * 0.3), false);
  conv.register_parameter("bias", Trainable(torch::zeros({kWidth})), false);
  conv.define(R"JIT(
def forward(self, x):
    return torch.conv2d(x, self.weight, self.bias, [1, 1], [1, 1])
)JIT");
  torch::jit::Module bn = Named("BatchNorm");
  bn.register_parameter("weight", Trainable(torch::ones({kWidth})), false);
  bn.register_parameter("bias", Trainable(torch::zeros({kWidth})), false);
  bn.register_buffer("running_mean", torch::zeros({kWidth}));
  bn.register_buffer("running_var", torch::ones({kWidth}));
  bn.register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
  bn.define(R"JIT(
def forward(self, x):
    if self.training:
        self.num_batches_tracked.add_(1)
    return torch.batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var, self.training, 0.1,
                            1e-5, False)
)JIT");
  torch::jit::Module features = Named("Features");
  features.register_module("conv", conv);
  features.register_module("bn", bn);
  features.define(R"JIT(
def forward(self, x):
    return torch.relu(self.bn.forward(self.conv.forward(x)))
)JIT");
  torch::jit::Module head = Named("Linear");
  head.register_parameter("weight", Trainable(torch::randn({num_classes, kWidth}) * 0.3), false);
  head.register_parameter("bias", Trainable(torch::zeros({num_classes})), false);
  head.define(R"JIT(
def forward(self, x):
    return torch.addmm(self.bias, x, self.weight.t())
)JIT");
  torch::jit::Module net = Named("ConvNet");
  net.register_module("features", features);
  net.register_module("head", head);
  net.define(R"JIT(
def forward(self, x):
    return self.head.forward(self.features.forward(x).mean([2, 3]))
)JIT");
  return net;
}

torch::jit::Module ScriptedModule(const std::string& body, std::vector<int64_t> weight_shape) {
  torch::jit::Module module = Named("Custom");
  if (!weight_shape.empty()) module.register_parameter("weight", Trainable(torch::randn(weight_shape)), false);
  module.define(body);
  return module;
}

}  // namespace strobe::testing
