#include "worker/fused_cpu_kernels.h"

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ops/avx2.h"
#include "worker/models/batch_norm_relu.h"
#include "worker/optimizers/fused_sgd_step.h"

namespace strobe {

FusedCpuKernels FusedCpuKernelsOfThisProcess() {
  return FusedCpuKernels{CpuRunsAvx2FmaKernels(), FusedBatchNormReLURuns(), FusedSgdStepRuns()};
}

std::string DescribeRanksWithoutFusedCpuKernels(const std::vector<FusedCpuKernels>& ranks, FusedCpuKernelUse use,
                                                const std::string& libtorch_version) {
  int without = 0;
  int first = -1;
  bool batch_norm_relu_missing = false;
  bool sgd_step_missing = false;
  for (int rank = 0; rank < static_cast<int>(ranks.size()); ++rank) {
    const bool misses_batch_norm_relu = use.batch_norm_relu && !ranks[rank].batch_norm_relu;
    const bool misses_sgd_step = use.sgd_step && !ranks[rank].sgd_step;
    if (!misses_batch_norm_relu && !misses_sgd_step) continue;
    batch_norm_relu_missing = batch_norm_relu_missing || misses_batch_norm_relu;
    sgd_step_missing = sgd_step_missing || misses_sgd_step;
    ++without;
    if (first < 0) first = rank;
  }
  if (without == 0) return "";
  std::vector<std::string> kernels;
  if (batch_norm_relu_missing) kernels.push_back("BatchNorm + ReLU");
  if (sgd_step_missing) kernels.push_back("the SGD step");
  // The first such rank's reason: a CPU without the instructions is a fact of the cluster; a self-check that fails
  // on a CPU with them is a LibTorch that rounds otherwise, which the kernels must be taught.
  const std::string why =
      ranks[first].avx2_fma
          ? absl::StrFormat("its self-check found them rounding otherwise than LibTorch %s's operations (please "
                            "report it, with that version)",
                            libtorch_version)
          : "its CPU lacks AVX2 or FMA";
  const int world_size = static_cast<int>(ranks.size());
  return absl::StrFormat(
      "%d of %d ranks (the first: rank %d) run LibTorch's separate operations instead of Strobe's fused CPU kernels "
      "for %s: %s. The results are the same, but %s",
      without, world_size, first, absl::StrJoin(kernels, " and "), why,
      without == world_size ? "every step is slower" : "their steps are slower, and the other ranks wait for them");
}

}  // namespace strobe
