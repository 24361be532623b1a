#ifndef STROBE_OPS_STARTUP_ROLL_CALL_H_
#define STROBE_OPS_STARTUP_ROLL_CALL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// Which ranks of the job have started, asked of the launcher rather than of MPI. While MPI_Init waits for a rank
// that never arrives, MPI has no per-rank view; the launcher's PMIx server (Open MPI's mpirun, srun --mpi=pmix)
// does. Each process announces itself to it before MPI_Init; a rank that gave up waiting then asks it which ranks
// never announced themselves, and on which hosts they were placed.
class StartupRollCall {
 public:
  struct MissingRank {
    int rank = -1;
    std::string host;
  };
  struct Result {
    int my_rank = -1;
    int world_size = 0;
    std::vector<int> arrived;
    std::vector<MissingRank> missing;
  };

  // Announces this process when a PMIx launcher started it; otherwise (a plain `strobe train`, a launcher without
  // PMIx, a build without PMIx) the roll call cannot be taken and Take says so.
  static std::unique_ptr<StartupRollCall> Announce();
  virtual ~StartupRollCall() = default;

  // Waits at most `wait_seconds` for the ranks' announcements. Taken once, by a process about to end.
  virtual absl::StatusOr<Result> Take(double wait_seconds) = 0;
};

// The message a rank prints when the start-up did not finish in time, or "" when another rank prints it (the
// lowest-numbered rank that arrived speaks for the job, so a 1024-rank job prints one line, not 1023).
std::string DescribeStartupFailure(const StartupRollCall::Result& result, double timeout_seconds);

// "0-3,5,7-8" for a sorted list of ranks.
std::string FormatRankRanges(const std::vector<int>& sorted_ranks);

}  // namespace strobe

#endif  // STROBE_OPS_STARTUP_ROLL_CALL_H_
