#include "worker/models/batch_norm_relu.h"

#include <c10/core/InferenceMode.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <vector>

#include "tests/support/tensor_checks.h"
#include "worker/mixed_precision.h"

namespace strobe {
namespace {

// CanFuseBatchNormReLU with float32 [C] parameters and running statistics, as a BatchNorm layer's.
bool Fits(const torch::Tensor& input, const torch::Tensor& residual) {
  const int64_t channels = input.dim() > 1 ? input.size(1) : 1;
  return CanFuseBatchNormReLU(input, torch::ones({channels}), torch::zeros({channels}), torch::zeros({channels}),
                              torch::ones({channels}), residual);
}

struct Run {
  torch::Tensor output, running_mean, running_var;
  std::vector<torch::Tensor> grads;  // input, weight, bias[, residual]
};

// One training step's forward and backward through either path, from the same tensors.
Run Step(bool fused, const torch::Tensor& input, const torch::Tensor& weight, const torch::Tensor& bias,
         const torch::Tensor& residual, const torch::Tensor& upstream) {
  Run run;
  std::vector<torch::Tensor> leaves{input.detach().clone().requires_grad_(), weight.detach().clone().requires_grad_(),
                                    bias.detach().clone().requires_grad_()};
  if (residual.defined()) leaves.push_back(residual.detach().clone().requires_grad_());
  const torch::Tensor r = residual.defined() ? leaves[3] : torch::Tensor();
  const int64_t channels = input.size(1);
  run.running_mean = torch::linspace(-1, 1, channels);
  run.running_var = torch::linspace(0.5, 2, channels);
  const auto call = fused ? FusedBatchNormReLU : UnfusedBatchNormReLU;
  run.output = call(leaves[0], leaves[1], leaves[2], run.running_mean, run.running_var, r, 0.1, 1e-5);
  EXPECT_EQ(testing::CountAutogradNodes(run.output, "BatchNormReLUFunction"), fused ? 1 : 0);
  run.grads = torch::autograd::grad({run.output}, leaves, {upstream});
  return run;
}

void ExpectSameBits(const torch::Tensor& input, const torch::Tensor& residual) {
  torch::manual_seed(3);
  const torch::Tensor weight = torch::rand({input.size(1)}) + 0.5;
  const torch::Tensor bias = torch::randn({input.size(1)});
  const torch::Tensor upstream = torch::randn(input.sizes());
  ASSERT_TRUE(Fits(input, residual)) << input.sizes();
  const Run fused = Step(true, input, weight, bias, residual, upstream);
  const Run unfused = Step(false, input, weight, bias, residual, upstream);
  const std::string what = ::testing::PrintToString(input.sizes()) + (residual.defined() ? " + residual" : "");
  EXPECT_TRUE(testing::SameBits(fused.output, unfused.output)) << what << ": output, max difference "
                                                      << (fused.output - unfused.output).abs().max().item<float>();
  EXPECT_TRUE(testing::SameBits(fused.running_mean, unfused.running_mean)) << what << ": running mean";
  EXPECT_TRUE(testing::SameBits(fused.running_var, unfused.running_var)) << what << ": running variance";
  ASSERT_EQ(fused.grads.size(), unfused.grads.size());
  for (size_t i = 0; i < fused.grads.size(); ++i) {
    EXPECT_TRUE(testing::SameBits(fused.grads[i], unfused.grads[i])) << what << ": gradient " << i;
  }
  // Not trivially equal: the ReLU cut something, and training-mode statistics were used.
  EXPECT_GT((unfused.output == 0).sum().item<int64_t>(), 0) << what;
  EXPECT_FALSE(torch::equal(unfused.running_mean, torch::linspace(-1, 1, input.size(1)))) << what;
}

TEST(BatchNormReLUTest, FusedIsBitwiseTheUnfusedOperationsForwardBackwardAndRunningStatistics) {
  torch::manual_seed(1);
  // resnet20's shapes on Fashion-MNIST, vector tails (7 x 9 values per channel), channel counts that are not a
  // multiple of the chains summed together, one channel, and a large mean against the spread.
  const std::vector<std::vector<int64_t>> shapes{{64, 16, 28, 28}, {64, 32, 14, 14}, {64, 64, 7, 7}, {3, 5, 7, 9},
                                                 {2, 1, 3, 3}, {4, 70, 5, 6}, {1, 3, 1, 2}};
  for (const auto& sizes : shapes) {
    const torch::Tensor input = torch::randn(sizes) * 2 + 0.3;
    ExpectSameBits(input, torch::Tensor());
    ExpectSameBits(input, torch::randn(sizes));
  }
  ExpectSameBits(torch::randn({8, 16, 10, 10}) * 0.01 + 100, torch::Tensor());
}

TEST(BatchNormReLUTest, BitwiseWithSeveralThreads) {
  const int threads = torch::get_num_threads();
  torch::set_num_threads(3);  // not this machine's default: channel groups and blocks split another way
  torch::manual_seed(2);
  ExpectSameBits(torch::randn({16, 24, 12, 12}), torch::randn({16, 24, 12, 12}));
  torch::set_num_threads(threads);
}

TEST(BatchNormReLUTest, OtherLayoutsAndTypesAreLeftToTheUnfusedOperations) {
  const torch::Tensor input = torch::randn({4, 8, 6, 6});
  EXPECT_TRUE(Fits(input, torch::Tensor()));
  EXPECT_FALSE(Fits(input.contiguous(torch::MemoryFormat::ChannelsLast), torch::Tensor()));
  EXPECT_FALSE(Fits(input.to(torch::kBFloat16), torch::Tensor()));
  EXPECT_FALSE(Fits(input.to(torch::kDouble), torch::Tensor()));
  EXPECT_FALSE(Fits(input.transpose(2, 3), torch::Tensor()));
  EXPECT_FALSE(Fits(torch::randn({5, 8, 1, 1}), torch::Tensor()));  // one value per sample
  EXPECT_FALSE(Fits(torch::randn({0, 8, 6, 6}), torch::Tensor()));  // an empty batch
  EXPECT_FALSE(Fits(input, torch::randn({4, 8, 6, 5})));
  EXPECT_FALSE(Fits(input, input.contiguous(torch::MemoryFormat::ChannelsLast)));
  // Parameters and running statistics LibTorch's contiguous kernel would not take either.
  const torch::Tensor ones = torch::ones({8});
  EXPECT_FALSE(CanFuseBatchNormReLU(input, torch::ones({16}).slice(0, 0, 16, 2), ones, ones, ones, {}));
  EXPECT_FALSE(CanFuseBatchNormReLU(input, ones.to(torch::kDouble), ones, ones, ones, {}));
  EXPECT_FALSE(CanFuseBatchNormReLU(input, ones, torch::Tensor(), ones, ones, {}));
  EXPECT_FALSE(CanFuseBatchNormReLU(input, ones, ones, torch::ones({7}), ones, {}));
  EXPECT_FALSE(CanFuseBatchNormReLU(input, ones, ones, ones, torch::Tensor(), {}));
}

// The self-check runs on the first call, which may come from inside a no-grad, inference-mode or autocast scope
// (it needs autograd, and autocast would change its reference): it must still find the fused path bitwise. In a
// fresh process (the check's result is kept per process), so the death-test style that re-runs the binary.
TEST(BatchNormReLUTest, TheFirstCallMayComeFromAnyScope) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        c10::InferenceMode inference;
        AutocastScope autocast(c10::DeviceType::CPU, Precision::kBFloat16);
        std::exit(Fits(torch::ones({2, 3, 4, 4}), torch::Tensor()) ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(
      {
        torch::NoGradGuard no_grad;
        std::exit(Fits(torch::ones({2, 3, 4, 4}), torch::Tensor()) ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace strobe
