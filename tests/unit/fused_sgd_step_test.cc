#include "worker/optimizers/fused_sgd_step.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "tests/support/tensor_checks.h"

namespace strobe {
namespace {

// Five steps of torch::optim::SGD against its first step followed by four fused ones, element for element, on a
// parameter of `sizes` in `format`.
void ExpectTorchsSteps(std::vector<int64_t> sizes, const SgdStepSettings& settings,
                       torch::MemoryFormat format = torch::MemoryFormat::Contiguous) {
  torch::manual_seed(sizes[0]);
  auto random = [&](double scale) { return (torch::randn(sizes) * scale).contiguous(format); };
  torch::Tensor param = random(1).requires_grad_(true);
  torch::optim::SGD reference({param}, torch::optim::SGDOptions(settings.lr)
                                           .momentum(settings.momentum)
                                           .weight_decay(settings.weight_decay)
                                           .nesterov(settings.nesterov));
  torch::NoGradGuard no_grad;
  param.mutable_grad() = random(1);
  torch::Tensor buffer = settings.weight_decay != 0 ? param.grad().add(param, settings.weight_decay)
                                                    : param.grad().clone();
  reference.step();
  const torch::Tensor fused = param.detach().clone();
  ASSERT_TRUE(CanFuseSgdStep(fused, param.grad(), buffer));
  for (int step = 2; step <= 5; ++step) {
    param.mutable_grad() = random(step);
    reference.step();
    FusedSgdStep(fused, param.grad(), buffer, settings);
    ASSERT_TRUE(testing::SameBits(fused, param.detach()))
        << "sizes " << torch::IntArrayRef(sizes) << ", step " << step << ", weight decay " << settings.weight_decay
        << ", Nesterov " << settings.nesterov << ": max difference "
        << (fused - param.detach()).abs().max().item<float>();
  }
}

TEST(FusedSgdStepTest, BitwiseTorchOptimSgdForEveryVariant) {
  for (const int64_t size : {1, 15, 16, 17, 1000, 100003}) {  // vector tails; several threads' chunks
    for (const double weight_decay : {0.0, 5e-4}) {
      for (const bool nesterov : {false, true}) ExpectTorchsSteps({size}, {0.05, weight_decay, 0.9, nesterov});
    }
  }
  ExpectTorchsSteps({4099}, {1.7, 0.1, 0.99, true});
  // A convolution weight under --channels_last.
  ExpectTorchsSteps({16, 8, 3, 3}, {0.1, 5e-4, 0.9, true}, torch::MemoryFormat::ChannelsLast);
}

TEST(FusedSgdStepTest, BitwiseWithSeveralThreads) {
  const int threads = torch::get_num_threads();
  torch::set_num_threads(3);  // not this machine's default
  ExpectTorchsSteps({300007}, {0.1, 5e-4, 0.9, true});
  torch::set_num_threads(threads);
}

TEST(FusedSgdStepTest, OtherTensorsAreLeftToTheSeparateKernels) {
  const torch::Tensor p = torch::randn({8, 4});
  EXPECT_TRUE(CanFuseSgdStep(p, torch::randn({8, 4}), torch::randn({8, 4})));
  EXPECT_FALSE(CanFuseSgdStep(p, torch::randn({8, 4}), torch::Tensor()));  // no momentum buffer yet
  EXPECT_FALSE(CanFuseSgdStep(p.to(torch::kDouble), torch::randn({8, 4}, torch::kDouble),
                              torch::randn({8, 4}, torch::kDouble)));
  EXPECT_FALSE(CanFuseSgdStep(p.t(), torch::randn({4, 8}), torch::randn({4, 8})));  // layouts differ
  EXPECT_FALSE(CanFuseSgdStep(p, torch::randn({8, 3}), torch::randn({8, 4})));
  EXPECT_FALSE(CanFuseSgdStep(p.slice(0, 0, 8, 2), torch::randn({4, 4}), torch::randn({4, 4})));  // not dense
  const torch::Tensor w = torch::randn({4, 3, 2, 2}).contiguous(torch::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(CanFuseSgdStep(w, torch::randn_like(w), torch::randn_like(w)));
  EXPECT_FALSE(CanFuseSgdStep(w, torch::randn({4, 3, 2, 2}), torch::randn_like(w)));
}

}  // namespace
}  // namespace strobe
