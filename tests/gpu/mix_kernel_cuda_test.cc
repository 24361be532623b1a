// The CUDA mixing kernel against the CPU kernel on the same plan (CUDA builds only; skips without a GPU).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "augment/mix_method.h"
#include "augment/mix_rng.h"
#include "augment/kernels/mix_kernel.h"

namespace strobe {
namespace {

// Boxes, FMix masks, blends and plain copies in one plan, on images of h x w.
void ExpectCudaMatchesCpu(int64_t n, int64_t h, int64_t w) {
  at::manual_seed(3);
  const at::Tensor x = at::randn({n, 3, h, w});
  const at::Tensor p = at::randn({n + 2, 3, h, w});
  std::vector<uint8_t> mask_bytes;
  std::vector<SampleMix> plan(n);
  Rng rng(11);
  auto cutmix = MakeCutMix(1.0, 0, 0, true);
  auto fmix = MakeFMix(1.0, 3.0);
  auto mixup = MakeMixup(0.4);
  for (int64_t i = 0; i < n; ++i) {
    const MixMethod& method = i % 4 == 0 ? *cutmix : (i % 4 == 1 ? *fmix : *mixup);
    if (i % 4 != 3) method.Draw(rng, h, w, plan[i], mask_bytes);  // every fourth sample stays a copy
    plan[i].partner = (i * 7) % (n + 2);
  }
  const at::Tensor masks =
      at::from_blob(mask_bytes.data(), {static_cast<int64_t>(mask_bytes.size()) / (h * w), h, w}, at::kByte).clone();
  at::Tensor cpu_out = at::empty_like(x);
  MixImages(x, p, plan, masks, cpu_out);
  const at::Device gpu(at::kCUDA, 0);
  at::Tensor gpu_out = at::empty_like(x.to(gpu));
  MixImages(x.to(gpu), p.to(gpu), plan, masks.to(gpu), gpu_out);
  const at::Tensor back = gpu_out.cpu();
  for (int64_t i = 0; i < n; ++i) {
    if (plan[i].kind == SampleMix::kBlend) {
      EXPECT_TRUE(at::allclose(back[i], cpu_out[i], 1e-6, 1e-6)) << i;
    } else {
      EXPECT_TRUE(at::equal(back[i], cpu_out[i])) << i << " kind " << plan[i].kind;
    }
  }
}

TEST(MixKernelCudaTest, MatchesTheCpuKernelOnRowsOfSinglePixels) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible";
  ExpectCudaMatchesCpu(33, 17, 29);  // a width that is no multiple of 4: one pixel per thread
}

TEST(MixKernelCudaTest, MatchesTheCpuKernelOnRowsOfVectors) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible";
  ExpectCudaMatchesCpu(40, 23, 36);  // 16-byte vectors; boxes and masks cut through them
}

// The plan reaches the kernel in its parameters or, past MaxPlanInParameters() (64 or 256), through device memory;
// with vectors and with single pixels per thread.
TEST(MixKernelCudaTest, PlansOfEverySizeReachTheKernel) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible";
  for (const int64_t n : {2, 5, 64, 65, 256, 257, 300}) {
    SCOPED_TRACE(n);
    ExpectCudaMatchesCpu(n, 8, 12);  // rows of vectors
    ExpectCudaMatchesCpu(n, 7, 9);   // rows of single pixels
  }
}

}  // namespace
}  // namespace strobe
