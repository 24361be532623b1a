#include "ops/cpu_share.h"

#include <sched.h>
#include <unistd.h>

#include "absl/strings/str_format.h"

namespace strobe {

namespace {

// Cores in `pid`'s affinity mask (0: this thread), or 0 if it cannot be read.
int AffinityCores(pid_t pid) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  return sched_getaffinity(pid, sizeof(mask), &mask) == 0 ? CPU_COUNT(&mask) : 0;
}

}  // namespace

CpuShare ThisRankCpuShare(const DistributedContext& context) {
  const int online = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  const pid_t parent = getppid();  // 0 for a container's first process, whose launcher is outside its view
  const int launcher = parent > 0 ? AffinityCores(parent) : 0;
  const int mine = AffinityCores(0);
  CpuShare share;
  // Unreadable masks count as the whole machine: the rank then keeps its share, as if nothing bound it.
  share.allowed_cores = mine > 0 ? mine : online;
  share.host_cores = std::max(launcher > 0 ? launcher : online, share.allowed_cores);
  share.local_ranks = context.local_size;
  return share;
}

std::string DescribeNarrowedRanks(const std::vector<CpuShare>& ranks) {
  int narrowed = 0;
  int first = -1;
  for (int rank = 0; rank < static_cast<int>(ranks.size()); ++rank) {
    if (!ranks[rank].Narrowed()) continue;
    ++narrowed;
    if (first < 0) first = rank;
  }
  if (narrowed == 0) return "";
  const CpuShare& example = ranks[first];
  return absl::StrFormat(
      "%d of %d ranks may run on fewer CPU cores than their share of their host (rank %d: %d of the host's %d cores, "
      "where its share is %d): the launcher bound them (Open MPI's mpirun binds each rank to one core when it starts "
      "2 or fewer), and their image decoding, intra-op threads and GPU launches share those cores. Unless that was "
      "meant, start mpirun with --bind-to none (or --map-by ppr:RANKS_PER_HOST:node:PE=CORES_PER_RANK; srun: "
      "--cpus-per-task=CORES_PER_RANK)",
      narrowed, static_cast<int>(ranks.size()), first, example.allowed_cores, example.host_cores,
      example.HostShare());
}

}  // namespace strobe
