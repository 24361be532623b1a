#ifndef STROBE_WORKER_FUSED_CPU_KERNELS_H_
#define STROBE_WORKER_FUSED_CPU_KERNELS_H_

#include <string>
#include <vector>

namespace strobe {

// Strobe's fused CPU kernels (worker/models/batch_norm_relu.h, worker/optimizers/fused_sgd_step.h) give bitwise the
// results of LibTorch's separate operations, faster; a process runs them only where its CPU has AVX2 and FMA and
// their self-checks match this LibTorch. Elsewhere a rank runs the separate operations: the same results, a slower
// step, which the other ranks then wait for.
struct FusedCpuKernels {
  bool avx2_fma = false;
  bool batch_norm_relu = false;
  bool sgd_step = false;
};

// This process's, running the self-checks now (a few milliseconds) rather than in the first step.
FusedCpuKernels FusedCpuKernelsOfThisProcess();

// Which of them the run would use: BatchNorm + ReLU on the CPU in float32 NCHW without --sync_bn, the SGD step with
// --optimizer=sgd.
struct FusedCpuKernelUse {
  bool batch_norm_relu = false;
  bool sgd_step = false;
};

// One warning for the job (indexed by rank), or "" when every rank runs every kernel the run uses.
std::string DescribeRanksWithoutFusedCpuKernels(const std::vector<FusedCpuKernels>& ranks, FusedCpuKernelUse use,
                                                const std::string& libtorch_version);

}  // namespace strobe

#endif  // STROBE_WORKER_FUSED_CPU_KERNELS_H_
