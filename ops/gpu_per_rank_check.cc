#include "ops/gpu_per_rank_check.h"

#include <mpi.h>

#include <climits>
#include <cstring>

#include "absl/strings/str_format.h"
#include "ops/mpi_check.h"

namespace strobe {
namespace {

// What the first rank without a GPU tells the others about itself.
struct RankWithoutGpu {
  int local_rank;
  int local_size;
  int gpus;
  char host[256];
};

}  // namespace

absl::Status CheckOneGpuPerRank(const DistributedContext& context, int gpus_on_this_host) {
  const bool lacking = context.local_rank >= gpus_on_this_host;
  const int candidate = lacking ? context.rank : INT_MAX;
  int first_lacking = INT_MAX;
  STROBE_MPI_CHECK(MPI_Allreduce(&candidate, &first_lacking, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
  if (first_lacking == INT_MAX) return absl::OkStatus();
  const int lacking_here = lacking ? 1 : 0;
  int lacking_count = 0;
  STROBE_MPI_CHECK(MPI_Allreduce(&lacking_here, &lacking_count, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
  RankWithoutGpu first{context.local_rank, context.local_size, gpus_on_this_host, {}};
  std::strncpy(first.host, context.host.c_str(), sizeof(first.host) - 1);
  STROBE_MPI_CHECK(MPI_Bcast(&first, sizeof(first), MPI_BYTE, first_lacking, MPI_COMM_WORLD));
  return absl::FailedPreconditionError(absl::StrFormat(
      "%d of %d ranks have no GPU: rank %d is local rank %d of %d on host %s, which has %d GPU(s); start at most "
      "one rank per GPU on each host (mpirun: RANKS_PER_HOST of deploy/launch_mpirun.sh; Slurm: "
      "--ntasks-per-node, --gpus-per-node)",
      lacking_count, context.world_size, first_lacking, first.local_rank, first.local_size, first.host, first.gpus));
}

}  // namespace strobe
