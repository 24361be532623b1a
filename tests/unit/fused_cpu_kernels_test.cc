// Which fused CPU kernels this process runs, and the one warning for ranks that run the separate operations instead.
#include "worker/fused_cpu_kernels.h"

#include <gtest/gtest.h>

#include <string>

#include "ops/avx2.h"

namespace strobe {
namespace {

constexpr FusedCpuKernels kAll{true, true, true};
constexpr FusedCpuKernels kNoAvx2{false, false, false};
constexpr FusedCpuKernelUse kBoth{true, true};

// Where the CPU has the instructions, both self-checks must pass against the LibTorch the tests are built with: a
// kernel that stopped matching it would otherwise turn itself off without failing anything.
TEST(FusedCpuKernelsTest, ThisProcessRunsBothWhereTheCpuHasAvx2AndFma) {
  const FusedCpuKernels mine = FusedCpuKernelsOfThisProcess();
  EXPECT_EQ(mine.avx2_fma, CpuRunsAvx2FmaKernels());
  EXPECT_EQ(mine.batch_norm_relu, mine.avx2_fma);
  EXPECT_EQ(mine.sgd_step, mine.avx2_fma);
}

TEST(FusedCpuKernelsTest, NoWarningWhenEveryRankRunsWhatTheRunUses) {
  EXPECT_EQ(DescribeRanksWithoutFusedCpuKernels({kAll, kAll}, kBoth, "1.13.1"), "");
  EXPECT_EQ(DescribeRanksWithoutFusedCpuKernels({}, kBoth, "1.13.1"), "");
  // AdamW in bf16: neither kernel is used, so a CPU without them changes nothing.
  EXPECT_EQ(DescribeRanksWithoutFusedCpuKernels({kAll, kNoAvx2}, FusedCpuKernelUse{}, "1.13.1"), "");
}

TEST(FusedCpuKernelsTest, OneWarningCountsTheRanksNamesTheFirstAndWhy) {
  EXPECT_EQ(DescribeRanksWithoutFusedCpuKernels({kAll, kNoAvx2, kAll, kNoAvx2}, kBoth, "1.13.1"),
            "2 of 4 ranks (the first: rank 1) run LibTorch's separate operations instead of Strobe's fused CPU "
            "kernels for BatchNorm + ReLU and the SGD step: its CPU lacks AVX2 or FMA. The results are the same, but "
            "their steps are slower, and the other ranks wait for them");
  // A CPU with the instructions whose self-check failed: a LibTorch that rounds otherwise.
  const FusedCpuKernels sgd_differs{true, true, false};
  EXPECT_EQ(DescribeRanksWithoutFusedCpuKernels({sgd_differs, kAll}, kBoth, "2.5.0"),
            "1 of 2 ranks (the first: rank 0) run LibTorch's separate operations instead of Strobe's fused CPU "
            "kernels for the SGD step: its self-check found them rounding otherwise than LibTorch 2.5.0's "
            "operations (please report it, with that version). The results are the same, but their steps are "
            "slower, and the other ranks wait for them");
  // Every rank: nobody waits for anybody, every step is slower.
  const std::string everywhere = DescribeRanksWithoutFusedCpuKernels({kNoAvx2, kNoAvx2}, kBoth, "1.13.1");
  EXPECT_NE(everywhere.find("2 of 2 ranks (the first: rank 0)"), std::string::npos) << everywhere;
  EXPECT_NE(everywhere.find("The results are the same, but every step is slower"), std::string::npos) << everywhere;
  EXPECT_EQ(everywhere.find("wait"), std::string::npos) << everywhere;
  // Only the kernels the run uses are named: --optimizer=adamw leaves the SGD step out.
  const std::string batch_norm_only =
      DescribeRanksWithoutFusedCpuKernels({kNoAvx2, kAll}, FusedCpuKernelUse{true, false}, "1.13.1");
  EXPECT_NE(batch_norm_only.find("kernels for BatchNorm + ReLU: its CPU lacks"), std::string::npos)
      << batch_norm_only;
}

}  // namespace
}  // namespace strobe
