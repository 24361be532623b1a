#ifndef STROBE_OPS_GPU_PER_RANK_CHECK_H_
#define STROBE_OPS_GPU_PER_RANK_CHECK_H_

#include "absl/status/status.h"
#include "ops/distributed_context.h"

namespace strobe {

// Each rank drives the GPU numbered by its local rank, so a host needs at least as many GPUs as it has ranks. A
// collective over all ranks (call it on every rank, before NCCL starts, which would otherwise hang or fail far
// from the cause): every rank returns the same answer, and an error names the first rank without a GPU, its host
// and how many GPUs that host has.
absl::Status CheckOneGpuPerRank(const DistributedContext& context, int gpus_on_this_host);

}  // namespace strobe

#endif  // STROBE_OPS_GPU_PER_RANK_CHECK_H_
