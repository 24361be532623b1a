#ifndef STROBE_OPS_CPU_SHARE_H_
#define STROBE_OPS_CPU_SHARE_H_

#include <algorithm>
#include <string>
#include <vector>

#include "ops/distributed_context.h"

namespace strobe {

// The CPU cores a rank may use. Launchers bind ranks to cores: Open MPI's mpirun binds each rank to one core when it
// starts two ranks or fewer (to a socket beyond that), srun to what --cpus-per-task gives. A rank's threads (intra-op,
// image decoding) must fit its binding, and a binding narrower than the rank's share of its host is usually a
// launcher default nobody chose: a GPU rank bound to one core decodes and launches kernels on that one core.
struct CpuShare {
  int host_cores = 1;     // cores the job may use on this host (see ThisRankCpuShare)
  int allowed_cores = 1;  // cores this process may run on (its affinity mask)
  int local_ranks = 1;    // ranks on the host

  // The host's cores divided among its ranks.
  int HostShare() const { return std::max(1, host_cores / std::max(1, local_ranks)); }
  // Threads this rank should run: its share of the host, within its binding.
  int Usable() const { return std::max(1, std::min(allowed_cores, HostShare())); }
  // Bound to fewer cores than its share of the host.
  bool Narrowed() const { return allowed_cores < HostShare(); }
};

// This process's share. The host's cores for the job are those its launcher process (mpirun or its daemon,
// slurmstepd, a shell) may run on: that mask, unlike the machine's online CPU count, reflects a container's or a
// batch system's cpuset, and launchers do not bind themselves. A wrapper between launcher and rank (a profiler,
// `bash -c`) shares the rank's binding, so a narrow binding behind one is taken for the host and not warned about.
CpuShare ThisRankCpuShare(const DistributedContext& context);

// One warning for the job (indexed by rank), or "" when no rank is narrowed: how many ranks are, the first one's
// cores, and how to launch instead.
std::string DescribeNarrowedRanks(const std::vector<CpuShare>& ranks);

}  // namespace strobe

#endif  // STROBE_OPS_CPU_SHARE_H_
