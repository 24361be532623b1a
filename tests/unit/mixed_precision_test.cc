#include "worker/mixed_precision.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <limits>


namespace strobe {
namespace {

// Every non-finite value is found wherever it sits (vector tails, either end, the chunk of another thread), and
// every finite one passes, the largest, the smallest subnormal and -0 included.
TEST(AllFiniteTest, FindsEveryNonFiniteValueAndPassesEveryFiniteOne) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int threads = at::get_num_threads();
  for (const int thread_count : {1, 2}) {
    at::set_num_threads(thread_count);
    for (const int64_t size : {1, 7, 16, 33, 200001}) {
      at::Tensor values = at::randn({size});
      values[0] = std::numeric_limits<float>::max();
      values[size - 1] = -0.0f;
      if (size > 2) values[size / 2] = std::numeric_limits<float>::denorm_min();
      EXPECT_TRUE(AllFinite({values, at::ones({3})})) << size;
      for (const int64_t at_index : {int64_t{0}, size / 2, size - 1}) {
        for (const float bad : {inf, -inf, nan, -nan}) {
          at::Tensor broken = values.clone();
          broken[at_index] = bad;
          EXPECT_FALSE(AllFinite({at::ones({3}), broken})) << bad << " at " << at_index << " of " << size;
        }
      }
    }
  }
  at::set_num_threads(threads);
  // Other types and layouts take LibTorch's own test.
  EXPECT_FALSE(AllFinite({at::full({4, 3}, nan).t()}));
  EXPECT_FALSE(AllFinite({at::full({5}, inf, at::kDouble)}));
  EXPECT_TRUE(AllFinite({at::ones({4, 3}).t(), at::ones({2}, at::kBFloat16)}));
  EXPECT_TRUE(AllFinite({}));
}

TEST(DynamicLossScalerTest, UnscalesFiniteGradientsExactly) {
  DynamicLossScaler scaler;
  ASSERT_EQ(scaler.scale(), 65536.0);
  at::Tensor a = at::full({3}, 3.0f * 65536);
  at::Tensor b = at::full({2, 2}, -0.5f * 65536);
  EXPECT_TRUE(scaler.Unscale({a, b}));
  EXPECT_TRUE(at::equal(a, at::full({3}, 3.0f)));
  EXPECT_TRUE(at::equal(b, at::full({2, 2}, -0.5f)));
  EXPECT_EQ(scaler.scale(), 65536.0);
  EXPECT_EQ(scaler.state().clean_steps, 1);
}

TEST(DynamicLossScalerTest, OverflowSkipsTheStepAndHalvesTheScale) {
  for (float bad : {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    DynamicLossScaler scaler;
    at::Tensor a = at::ones({4});
    at::Tensor b = at::ones({4});
    b[2] = bad;
    EXPECT_FALSE(scaler.Unscale({a, b})) << bad;
    EXPECT_EQ(scaler.scale(), 32768.0);
    EXPECT_EQ(scaler.state().clean_steps, 0);
    EXPECT_TRUE(at::equal(a, at::ones({4})));  // nothing unscaled: the update is skipped anyway
  }
}

TEST(DynamicLossScalerTest, GrowsAfterTheGrowthIntervalOfCleanSteps) {
  DynamicLossScaler scaler;
  scaler.Restore({1024.0, DynamicLossScaler::kGrowthInterval - 1});
  at::Tensor g = at::ones({2});
  EXPECT_TRUE(scaler.Unscale({g}));
  EXPECT_EQ(scaler.scale(), 2048.0);
  EXPECT_EQ(scaler.state().clean_steps, 0);
}

TEST(AutocastScopeTest, ComputesInBf16InsideAndRestoresOnExit) {
  const at::Tensor x = at::randn({4, 8});
  const at::Tensor w = at::randn({8, 3});
  {
    AutocastScope autocast(c10::DeviceType::CPU, Precision::kBFloat16);
    EXPECT_EQ(at::mm(x, w).scalar_type(), at::kBFloat16);
  }
  EXPECT_EQ(at::mm(x, w).scalar_type(), at::kFloat);
  {
    AutocastScope off(c10::DeviceType::CPU, Precision::kFloat32);
    EXPECT_EQ(at::mm(x, w).scalar_type(), at::kFloat);
  }
}

}  // namespace
}  // namespace strobe
