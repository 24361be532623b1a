#include "worker/models/fuse_batch_norm_relu.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/tensor_checks.h"
#include "tests/unit/temp_dir.h"

namespace strobe {
namespace {

constexpr int64_t kWidth = 6;

// A scripted network with every shape of BatchNorm + ReLU the pass must take, and some it must leave:
//   a: relu_(bn(x))                       fused
//   b: relu(bn(x) + a)                    fused (out of place, the residual second)
//   c: out = bn(x); out += b; relu_(out)  fused (torchvision's block end)
//   t: as c with the shortcut's own       left: moving a BatchNorm past another, which writes module tensors too,
//      BatchNorm between the two            is not provably the same (torchvision's downsampling blocks)
//   d: relu(c + bn(x))                    fused (the residual first)
//   e: bn(x) used twice                   left: its output is read beside the ReLU
//   f: d += bn(x); relu_(d)               left: the add writes the residual
//   g: bn(x) with no ReLU                 left
torch::jit::Module ScriptedBlocks() {
  torch::jit::Module net("Blocks");
  net.register_attribute("training", c10::BoolType::get(), true);
  net.register_parameter("conv", torch::randn({kWidth, 3, 3, 3}).mul_(0.4).requires_grad_(), false);
  for (const char* name : {"a", "b", "c", "t", "s", "d", "e", "f", "g"}) {
    const std::string n(name);
    net.register_parameter(n + "_w", (torch::rand({kWidth}) + 0.5).requires_grad_(), false);
    net.register_parameter(n + "_b", (torch::randn({kWidth}) * 0.2).requires_grad_(), false);
    net.register_buffer(n + "_mean", torch::zeros({kWidth}));
    net.register_buffer(n + "_var", torch::ones({kWidth}));
  }
  net.define(R"JIT(
def bn(self, x, w, b, mean, var):
    return torch.batch_norm(x, w, b, mean, var, self.training, 0.1, 1e-5, False)

def forward(self, images):
    x = torch.conv2d(images, self.conv, None, [1, 1], [1, 1])
    a = torch.relu_(self.bn(x, self.a_w, self.a_b, self.a_mean, self.a_var))
    b = torch.relu(self.bn(a * 1.5, self.b_w, self.b_b, self.b_mean, self.b_var) + a)
    out = self.bn(b - 0.25, self.c_w, self.c_b, self.c_mean, self.c_var)
    out += b
    c = torch.relu_(out)
    out = self.bn(c * 0.75, self.t_w, self.t_b, self.t_mean, self.t_var)
    shortcut = self.bn(c * 0.5, self.s_w, self.s_b, self.s_mean, self.s_var)
    out += shortcut
    t = torch.relu_(out)
    d = torch.relu(t + self.bn(t * 2.0, self.d_w, self.d_b, self.d_mean, self.d_var))
    e_bn = self.bn(d + 1.0, self.e_w, self.e_b, self.e_mean, self.e_var)
    e = torch.relu(e_bn) + e_bn
    f = d * 1.0
    f += self.bn(e, self.f_w, self.f_b, self.f_mean, self.f_var)
    f = torch.relu_(f)
    g = self.bn(f, self.g_w, self.g_b, self.g_mean, self.g_var)
    return (g + e).mean([2, 3])
)JIT");
  return net;
}

std::shared_ptr<TorchScriptClassifier> Load(const std::string& path) {
  auto model = LoadTorchScriptModel(path);
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

// Logits, then every parameter's gradient, then every buffer, after one training step's forward and backward, in
// which the fused kernel ran `fused_pairs` times.
std::vector<torch::Tensor> TrainingStep(TorchScriptClassifier& model, const torch::Tensor& images,
                                        int64_t fused_pairs) {
  model.train();
  const torch::Tensor logits = model.forward(images);
  EXPECT_EQ(testing::CountAutogradNodes(logits, "BatchNormReLUFunction"), fused_pairs);
  logits.pow(2).sum().backward();
  std::vector<torch::Tensor> results{logits.detach()};
  for (const auto& p : model.parameters()) results.push_back(p.grad());
  for (const auto& b : model.buffers()) results.push_back(b);
  return results;
}

// Two loads of the same ScriptedBlocks() file, the first with its pairs fused (4 of them).
struct FusedAndOriginal {
  std::shared_ptr<TorchScriptClassifier> fused, original;
};

FusedAndOriginal LoadBlocks(const testing::TempDir& dir) {
  const std::string path = dir.Path("blocks.pt");
  torch::manual_seed(4);
  ScriptedBlocks().save(path);
  FusedAndOriginal models{Load(path), Load(path)};
  EXPECT_EQ(FuseBatchNormReLU(*models.fused), 4);
  return models;
}

TEST(FuseBatchNormReLUTest, FusesTheBlockShapesAndTheStepStaysBitwiseTheSame) {
  testing::TempDir dir;
  auto [fused, original] = LoadBlocks(dir);
  torch::manual_seed(5);
  const torch::Tensor images = torch::randn({4, 3, 9, 9});
  for (int step = 0; step < 2; ++step) {  // the second from the first's running statistics
    const auto got = TrainingStep(*fused, images, 4);
    const auto expected = TrainingStep(*original, images, 0);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(testing::SameBits(got[i], expected[i])) << "step " << step << ", result " << i
                                                << " (0: logits, then gradients, then buffers)";
    }
  }
  fused->eval();
  original->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(testing::SameBits(fused->forward(images), original->forward(images)));
}

// Where the fused kernel cannot run (channels-last here), the fused call computes the original operations.
TEST(FuseBatchNormReLUTest, OtherLayoutsRunTheOriginalOperations) {
  testing::TempDir dir;
  auto [fused, original] = LoadBlocks(dir);
  torch::manual_seed(5);
  const torch::Tensor images = torch::randn({4, 3, 9, 9}).contiguous(torch::MemoryFormat::ChannelsLast);
  const auto got = TrainingStep(*fused, images, 0);
  const auto expected = TrainingStep(*original, images, 0);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(testing::SameBits(got[i], expected[i])) << "result " << i;
}

TEST(FuseBatchNormReLUTest, AModelWithoutThePatternKeepsItsForward) {
  torch::jit::Module net("NoReLU");
  net.register_attribute("training", c10::BoolType::get(), true);
  net.register_parameter("w", torch::ones({3}).requires_grad_(), false);
  net.define(R"JIT(
def forward(self, x):
    return torch.batch_norm(x, self.w, None, None, None, True, 0.1, 1e-5, False).mean([2, 3])
)JIT");
  testing::TempDir dir;
  net.save(dir.Path("plain.pt"));
  EXPECT_EQ(FuseBatchNormReLU(*Load(dir.Path("plain.pt"))), 0);
}

}  // namespace
}  // namespace strobe
