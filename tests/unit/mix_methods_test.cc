#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iostream>
#include <vector>

#include "augment/mix_method.h"
#include "augment/mix_rng.h"
#include "augment/kernels/mix_in_place.h"
#include "augment/kernels/mix_kernel.h"

namespace strobe {
namespace {

// Regularised incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes' betacf).
double IncompleteBeta(double x, double a, double b) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - IncompleteBeta(1 - x, b, a);
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                                b * std::log(1 - x)) / a;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::abs(d) < 1e-300 ? 1e-300 : d);
  double f = d;
  for (int m = 1; m < 500; ++m) {
    for (int odd = 0; odd < 2; ++odd) {
      const double num = odd == 0 ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                                  : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + num * d;
      d = 1 / (std::abs(d) < 1e-300 ? 1e-300 : d);
      c = 1 + num / c;
      if (std::abs(c) < 1e-300) c = 1e-300;
      f *= c * d;
    }
  }
  return front * f;
}

TEST(MixRngTest, BetaSamplesPassKolmogorovSmirnov) {
  for (double alpha : {0.2, 0.4, 1.0, 2.0}) {
    Rng rng(1234);
    std::vector<double> samples(5000);
    for (double& s : samples) s = rng.Beta(alpha, alpha);
    std::sort(samples.begin(), samples.end());
    double d = 0;
    const double n = samples.size();
    for (size_t i = 0; i < samples.size(); ++i) {
      const double cdf = IncompleteBeta(samples[i], alpha, alpha);
      d = std::max({d, cdf - i / n, (i + 1) / n - cdf});
    }
    // Critical value at significance 0.001: 1.95 / sqrt(n).
    EXPECT_LT(d, 1.95 / std::sqrt(n)) << "alpha " << alpha;
  }
}

TEST(MixRngTest, StreamsDifferByRankAndStepAndRepeat) {
  const RankStream rank0{7, 0};
  const RankStream rank1{7, 1};
  EXPECT_EQ(rank0.ForStep(3).Next(), rank0.ForStep(3).Next());
  EXPECT_NE(rank0.ForStep(3).Next(), rank1.ForStep(3).Next());
  EXPECT_NE(rank0.ForStep(3).Next(), rank0.ForStep(4).Next());
}

TEST(CutMixTest, CorrectedLambdaIsTheExactUnpastedFractionAndBoxesFit) {
  auto cutmix = MakeCutMix(1.0, 0, 0, /*correct_lambda=*/true);
  Rng rng(5);
  std::vector<uint8_t> masks;
  for (int i = 0; i < 2000; ++i) {
    SampleMix mix;
    cutmix->Draw(rng, 28, 31, mix, masks);
    ASSERT_EQ(mix.kind, SampleMix::kBox);
    ASSERT_TRUE(0 <= mix.y0 && mix.y0 <= mix.y1 && mix.y1 <= 28 && 0 <= mix.x0 && mix.x0 <= mix.x1 && mix.x1 <= 31);
    const double pasted = static_cast<double>((mix.y1 - mix.y0) * (mix.x1 - mix.x0)) / (28 * 31);
    ASSERT_EQ(mix.lam, static_cast<float>(1.0 - pasted));
  }
}

TEST(CutMixTest, MinMaxBoxesRespectTheirBounds) {
  auto cutmix = MakeCutMix(1.0, 0.25, 0.5, true);
  Rng rng(6);
  std::vector<uint8_t> masks;
  for (int i = 0; i < 2000; ++i) {
    SampleMix mix;
    cutmix->Draw(rng, 40, 20, mix, masks);
    ASSERT_GE(mix.y1 - mix.y0, 10);
    ASSERT_LE(mix.y1 - mix.y0, 20);
    ASSERT_GE(mix.x1 - mix.x0, 5);
    ASSERT_LE(mix.x1 - mix.x0, 10);
    ASSERT_TRUE(mix.y0 >= 0 && mix.y1 <= 40 && mix.x0 >= 0 && mix.x1 <= 20);
  }
}

TEST(FMixTest, MaskKeepsExactlyLambdaAndIsLowFrequency) {
  auto fmix = MakeFMix(1.0, 3.0);
  Rng rng(8);
  std::vector<uint8_t> masks;
  double agreeing = 0, pairs = 0;
  for (int i = 0; i < 20; ++i) {
    SampleMix mix;
    fmix->Draw(rng, 32, 32, mix, masks);
    ASSERT_EQ(mix.kind, SampleMix::kMask);
    ASSERT_EQ(mix.mask, i);
    const uint8_t* m = masks.data() + i * 32 * 32;
    const int kept = std::count(m, m + 32 * 32, 1);
    EXPECT_EQ(mix.lam, static_cast<float>(kept / 1024.0));
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x + 1 < 32; ++x, ++pairs) agreeing += m[y * 32 + x] == m[y * 32 + x + 1];
    }
  }
  // Low-frequency masks are made of large blobs: neighbouring pixels almost always agree (white noise: ~50%).
  EXPECT_GT(agreeing / pairs, 0.85);
}

TEST(MixKernelTest, CutMixLeavesOutsideUnchangedAndPastesInsideBitwise) {
  at::manual_seed(1);
  at::Tensor x = at::randn({3, 2, 9, 11});
  at::Tensor out = at::empty_like(x);
  std::vector<SampleMix> plan(3);
  plan[0] = SampleMix{SampleMix::kBox, 0.5f, 2, 7, 3, 10, -1, 2};
  plan[1] = SampleMix{SampleMix::kBox, 1.0f, 0, 0, 0, 0, -1, 0};  // empty box
  plan[2] = SampleMix{SampleMix::kBox, 0.0f, 0, 9, 0, 11, -1, 0};  // whole image
  MixImages(x, x, plan, at::Tensor(), out);
  at::Tensor expected0 = x[0].clone();
  expected0.slice(1, 2, 7).slice(2, 3, 10).copy_(x[2].slice(1, 2, 7).slice(2, 3, 10));
  EXPECT_TRUE(at::equal(out[0], expected0));
  EXPECT_TRUE(at::equal(out[1], x[1]));
  EXPECT_TRUE(at::equal(out[2], x[0]));
}

// Batches over 8 MiB take the streaming path (AVX2 CPUs, widths a multiple of 8); its box edges may cut an
// 8-pixel vector at any lane, or fall on the image's edges. Width 174 takes the memcpy path at the same size.
TEST(MixKernelTest, LargeBatchCutMixMatchesSlicedCopyAtEveryEdgePosition) {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx2")) std::cerr << "no AVX2: only the memcpy path is tested\n";
#endif
  for (const int64_t width : {176, 174}) {
    at::manual_seed(3);
    std::vector<SampleMix> plan;
    // Every (left edge, right edge) pair of lanes, x0 in [16, 24) and x1 in [40, 48).
    for (int32_t left = 0; left < 8; ++left) {
      for (int32_t right = 0; right < 8; ++right) {
        plan.push_back(SampleMix{SampleMix::kBox, 0.5f, left, 100 + right, 16 + left, 40 + right, -1, 0});
      }
    }
    const auto w = static_cast<int32_t>(width);
    plan.push_back(SampleMix{SampleMix::kBox, 0.5f, 3, 90, 0, 13, -1, 0});      // from the left edge
    plan.push_back(SampleMix{SampleMix::kBox, 0.5f, 0, 176, w - 21, w, -1, 0});  // to the right edge, all rows
    plan.push_back(SampleMix{SampleMix::kBox, 0.5f, 5, 9, 20, 23, -1, 0});      // inside one vector
    plan.push_back(SampleMix{SampleMix::kBox, 1.0f, 7, 50, 30, 30, -1, 0});     // rows but no columns
    plan.push_back(SampleMix{SampleMix::kBox, 0.0f, 0, 176, 0, w, -1, 0});      // the whole image
    const auto n = static_cast<int64_t>(plan.size());
    at::Tensor x = at::randn({n, 3, 176, width});
    at::Tensor p = at::randn({n, 3, 176, width});
    ASSERT_GT(x.nbytes(), 8u << 20);
    at::Tensor expected = x.clone();
    for (int64_t i = 0; i < n; ++i) {
      SampleMix& s = plan[i];
      s.partner = (i * 7 + 3) % n;
      expected[i].slice(1, s.y0, s.y1).slice(2, s.x0, s.x1)
          .copy_(p[s.partner].slice(1, s.y0, s.y1).slice(2, s.x0, s.x1));
    }
    at::Tensor out = at::empty_like(x);
    MixImages(x, p, plan, at::Tensor(), out);
    EXPECT_TRUE(at::equal(out, expected)) << "width " << width;
  }
}

TEST(MixKernelTest, MixupBlendsAndMasksSelect) {
  at::manual_seed(2);
  at::Tensor x = at::randn({2, 3, 5, 4});
  at::Tensor p = at::randn({4, 3, 5, 4});
  at::Tensor masks = at::randint(0, 2, {1, 5, 4}, at::kLong).to(at::kByte);
  std::vector<SampleMix> plan(2);
  plan[0] = SampleMix{SampleMix::kBlend, 0.3f, 0, 0, 0, 0, -1, 3};
  plan[1] = SampleMix{SampleMix::kMask, 0.5f, 0, 0, 0, 0, 0, 1};
  at::Tensor out = at::empty_like(x);
  MixImages(x, p, plan, masks, out);
  EXPECT_TRUE(at::allclose(out[0], 0.3 * x[0] + 0.7 * p[3], 1e-6, 1e-6));
  EXPECT_TRUE(at::equal(out[1], at::where(masks[0].to(at::kBool), x[1], p[1])));
}

TEST(MixKernelTest, RejectsBadPlans) {
  at::Tensor x = at::zeros({1, 1, 4, 4});
  at::Tensor out = at::empty_like(x);
  std::vector<SampleMix> plan(1);
  plan[0] = SampleMix{SampleMix::kBox, 0.f, 0, 5, 0, 1, -1, 0};
  EXPECT_THROW(MixImages(x, x, plan, at::Tensor(), out), std::invalid_argument);
  plan[0] = SampleMix{SampleMix::kBlend, 0.f, 0, 0, 0, 0, -1, 1};
  EXPECT_THROW(MixImages(x, x, plan, at::Tensor(), out), std::invalid_argument);
  plan[0].partner = 0;
  EXPECT_THROW(MixImages(x, x, plan, at::Tensor(), x), std::invalid_argument);
}

// A plan of every kind of mix: boxes shared by partner pairs (the swap path) or drawn per sample, boxes touching
// the image's edges, blends, masks and plain copies.
std::vector<SampleMix> MixedPlan(const std::vector<int64_t>& partners, int64_t height, int64_t width, bool pairs,
                                 uint64_t seed) {
  Rng rng(seed);
  const auto n = static_cast<int64_t>(partners.size());
  std::vector<SampleMix> plan(n);
  for (int64_t i = 0; i < n; ++i) {
    SampleMix& s = plan[i];
    const int64_t kind = rng.UniformInt(0, 5);
    if (kind <= 1) {
      s.kind = SampleMix::kBox;
      s.y0 = static_cast<int32_t>(rng.UniformInt(0, height));
      s.y1 = static_cast<int32_t>(rng.UniformInt(s.y0, height + 1));
      s.x0 = kind == 0 ? 0 : static_cast<int32_t>(rng.UniformInt(0, width));
      s.x1 = kind == 0 ? static_cast<int32_t>(width) : static_cast<int32_t>(rng.UniformInt(s.x0, width + 1));
    } else if (kind == 2) {
      s.kind = SampleMix::kBlend;
      s.lam = static_cast<float>(rng.Uniform());
    } else if (kind == 3) {
      s.kind = SampleMix::kMask;
      s.mask = static_cast<int32_t>(i % 3);
    }
    s.partner = partners[i];
  }
  if (pairs) {  // partner pairs share their mix, as in batch and pair lambda modes under flip partners
    for (int64_t i = 0; i < n; ++i) {
      if (partners[i] > i) {
        plan[partners[i]] = plan[i];
        plan[partners[i]].partner = i;
      }
    }
  }
  return plan;
}

// In place and into a new batch give the same bits, for every partner pattern: flip pairs sharing a box (swapped),
// flip pairs with their own mixes, odd batches (the middle sample is its own partner), one cycle through the batch
// (roll), random permutations, and a separate partner batch. Width 200 mixes in several bands per image, width 28
// cuts 8-pixel vectors at box edges, width 5 is narrower than one vector.
TEST(MixInPlaceTest, MatchesMixingIntoANewBatchBitwise) {
  for (const std::array<int64_t, 3> shape : {std::array<int64_t, 3>{60, 200, 2}, {28, 28, 3}, {7, 5, 1}}) {
    const int64_t height = shape[0];
    const int64_t width = shape[1];
    const int64_t channels = shape[2];
    for (const int64_t n : {8, 9}) {
      std::vector<int64_t> flip(n), roll(n), permutation(n), other(n);
      for (int64_t i = 0; i < n; ++i) {
        flip[i] = n - 1 - i;
        roll[i] = (i + n - 1) % n;
        permutation[i] = i;
        other[i] = (i * 5 + 1) % n;
      }
      Rng rng(static_cast<uint64_t>(n * width));
      for (int64_t i = n - 1; i > 0; --i) std::swap(permutation[i], permutation[rng.UniformInt(0, i + 1)]);
      struct Case {
        const char* name;
        std::vector<int64_t> partners;
        bool pairs;
        bool separate;
      };
      for (const Case& c : {Case{"flip pairs", flip, true, false}, Case{"flip", flip, false, false},
                            Case{"roll", roll, false, false}, Case{"permutation", permutation, false, false},
                            Case{"separate batch", other, false, true}}) {
        SCOPED_TRACE(testing::Message() << c.name << ", batch " << n << ", width " << width);
        at::manual_seed(n + width);
        const at::Tensor x = at::randn({n, channels, height, width});
        const at::Tensor p = at::randn({n, channels, height, width});
        const at::Tensor masks = at::randint(0, 2, {3, height, width}, at::kLong).to(at::kByte);
        const std::vector<SampleMix> plan = MixedPlan(c.partners, height, width, c.pairs, 17 + n);
        const at::Tensor& partners = c.separate ? p : x;
        at::Tensor expected = at::empty_like(x);
        MixImages(x, partners, plan, masks, expected);
        at::Tensor mixed = x.clone();
        MixImagesInPlace(mixed, c.separate ? p : mixed, plan, masks);
        EXPECT_TRUE(at::equal(mixed, expected));
      }
    }
  }
}

// The vector swap's edges, placed rather than drawn: boxes from the left edge, to the right edge (where the last
// vector is moved back inside the row), inside one vector, and the whole row, at widths 8 and 28; and a blended
// pair whose two lambdas differ.
TEST(MixInPlaceTest, FlipPairsAtEveryBoxEdgeMatchMixingIntoANewBatch) {
  for (const int32_t width : {8, 28}) {
    SCOPED_TRACE(testing::Message() << "width " << width);
    const std::vector<std::array<int32_t, 2>> spans = {
        {0, 3}, {3, width}, {width - 7, width}, {width - 3, width - 1}, {0, width}};
    std::vector<SampleMix> plan;
    for (const auto& span : spans) {
      const SampleMix box{SampleMix::kBox, 0.5f, 1, 5, span[0], span[1], -1, 0};
      plan.push_back(box);
      plan.push_back(box);
    }
    plan.push_back(SampleMix{SampleMix::kBlend, 0.3f, 0, 0, 0, 0, -1, 0});
    plan.push_back(SampleMix{SampleMix::kBlend, 0.8f, 0, 0, 0, 0, -1, 0});
    const auto n = static_cast<int64_t>(plan.size());
    for (int64_t i = 0; i < n; ++i) plan[i].partner = i ^ 1;
    at::manual_seed(width);
    const at::Tensor x = at::randn({n, 2, 6, width});
    at::Tensor expected = at::empty_like(x);
    MixImages(x, x, plan, at::Tensor(), expected);
    at::Tensor mixed = x.clone();
    MixImagesInPlace(mixed, mixed, plan, at::Tensor());
    EXPECT_TRUE(at::equal(mixed, expected));
  }
}

// Batch lambda mode under flip (the default): one box for the whole batch, swapped between mirrored samples, with
// the middle sample of an odd batch left as it is; 33 samples of 3 channels split over two threads.
TEST(MixInPlaceTest, OneBoxSharedByMirroredSamplesMatchesMixingIntoANewBatch) {
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  for (const std::array<int64_t, 4> shape :
       {std::array<int64_t, 4>{33, 3, 60, 200}, {8, 1, 28, 28}, {9, 1, 28, 28}, {5, 2, 7, 5}}) {
    const int64_t n = shape[0];
    const int64_t height = shape[2];
    const int64_t width = shape[3];
    SCOPED_TRACE(testing::Message() << "batch " << n << ", width " << width);
    std::vector<SampleMix> plan(n);
    for (int64_t i = 0; i < n; ++i) {
      plan[i] = SampleMix{SampleMix::kBox,          0.5f, 1, static_cast<int32_t>(height - 1), 1,
                          static_cast<int32_t>(width), -1,  n - 1 - i};
    }
    at::manual_seed(n);
    const at::Tensor x = at::randn({n, shape[1], height, width});
    at::Tensor expected = at::empty_like(x);
    MixImages(x, x, plan, at::Tensor(), expected);
    at::Tensor mixed = x.clone();
    MixImagesInPlace(mixed, mixed, plan, at::Tensor());
    EXPECT_TRUE(at::equal(mixed, expected));
  }
  at::set_num_threads(threads);
}

// Two threads split the units of one cycle mid-way: a 9-cycle over 3 channels of 3 bands is 9 units, and the
// second thread starts at unit 5 (channel 1, band 2), so it must find its place in the count.
TEST(MixInPlaceTest, TwoThreadsMatchMixingIntoANewBatch) {
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  std::vector<int64_t> roll(9);
  for (int64_t i = 0; i < 9; ++i) roll[i] = (i + 8) % 9;
  at::manual_seed(4);
  const at::Tensor x = at::randn({9, 3, 60, 200});
  const at::Tensor masks = at::randint(0, 2, {3, 60, 200}, at::kLong).to(at::kByte);
  const std::vector<SampleMix> plan = MixedPlan(roll, 60, 200, /*pairs=*/false, 23);
  at::Tensor expected = at::empty_like(x);
  MixImages(x, x, plan, masks, expected);
  at::Tensor mixed = x.clone();
  MixImagesInPlace(mixed, mixed, plan, masks);
  at::set_num_threads(threads);
  EXPECT_TRUE(at::equal(mixed, expected));
}

TEST(MixInPlaceTest, RejectsPartnersThatAreNotAPermutationOrOverlap) {
  at::Tensor x = at::randn({4, 1, 6, 6});
  std::vector<SampleMix> plan(4, SampleMix{SampleMix::kBlend, 0.5f, 0, 0, 0, 0, -1, 0});
  try {
    MixImagesInPlace(x, x, plan, at::Tensor());
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "MixImagesInPlace: in-batch partners must be a permutation of the batch");
  }
  plan.resize(2);
  at::Tensor half = x.slice(0, 0, 2);
  const at::Tensor other_half = x.slice(0, 2, 4);
  try {
    MixImagesInPlace(half, other_half, plan, at::Tensor());
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "MixImagesInPlace: partners overlap the images without being the same batch");
  }
}

}  // namespace
}  // namespace strobe
