#include "worker/optimizers/fused_sgd_step.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>

namespace strobe {
namespace {

bool Bitwise(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

// Five steps of torch::optim::SGD against its first step followed by four fused ones, element for element.
void ExpectTorchsSteps(int64_t size, const SgdStepSettings& settings) {
  torch::manual_seed(size);
  torch::Tensor param = torch::randn({size}).requires_grad_(true);
  torch::optim::SGD reference({param}, torch::optim::SGDOptions(settings.lr)
                                           .momentum(settings.momentum)
                                           .weight_decay(settings.weight_decay)
                                           .nesterov(settings.nesterov));
  torch::NoGradGuard no_grad;
  param.mutable_grad() = torch::randn({size});
  torch::Tensor buffer = settings.weight_decay != 0 ? param.grad().add(param, settings.weight_decay)
                                                    : param.grad().clone();
  reference.step();
  const torch::Tensor fused = param.detach().clone();
  ASSERT_TRUE(CanFuseSgdStep(fused, param.grad(), buffer));
  for (int step = 2; step <= 5; ++step) {
    param.mutable_grad() = torch::randn({size}) * step;
    reference.step();
    FusedSgdStep(fused, param.grad(), buffer, settings);
    ASSERT_TRUE(Bitwise(fused, param.detach()))
        << "size " << size << ", step " << step << ", weight decay " << settings.weight_decay << ", Nesterov "
        << settings.nesterov << ": max difference " << (fused - param.detach()).abs().max().item<float>();
  }
}

TEST(FusedSgdStepTest, BitwiseTorchOptimSgdForEveryVariant) {
  for (const int64_t size : {1, 15, 16, 17, 1000, 100003}) {  // vector tails; several threads' chunks
    for (const double weight_decay : {0.0, 5e-4}) {
      for (const bool nesterov : {false, true}) ExpectTorchsSteps(size, {0.05, weight_decay, 0.9, nesterov});
    }
  }
  ExpectTorchsSteps(4099, {1.7, 0.1, 0.99, true});
}

TEST(FusedSgdStepTest, BitwiseWithSeveralThreads) {
  const int threads = torch::get_num_threads();
  torch::set_num_threads(2);
  ExpectTorchsSteps(300007, {0.1, 5e-4, 0.9, true});
  torch::set_num_threads(threads);
}

TEST(FusedSgdStepTest, OtherTensorsAreLeftToTheSeparateKernels) {
  const torch::Tensor p = torch::randn({8, 4});
  EXPECT_TRUE(CanFuseSgdStep(p, torch::randn({8, 4}), torch::randn({8, 4})));
  EXPECT_FALSE(CanFuseSgdStep(p, torch::randn({8, 4}), torch::Tensor()));  // no momentum buffer yet
  EXPECT_FALSE(CanFuseSgdStep(p.to(torch::kDouble), torch::randn({8, 4}, torch::kDouble),
                              torch::randn({8, 4}, torch::kDouble)));
  EXPECT_FALSE(CanFuseSgdStep(p.t(), torch::randn({4, 8}), torch::randn({4, 8})));
  EXPECT_FALSE(CanFuseSgdStep(p, torch::randn({8, 3}), torch::randn({8, 4})));
}

}  // namespace
}  // namespace strobe
