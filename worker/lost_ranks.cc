#include "worker/lost_ranks.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace strobe {

LostRankVerdict JudgeLostRanks(int me, const ProgressBeacon::Reading& mine, const std::string& my_host,
                               const std::vector<std::optional<Heartbeat>>& heartbeats, int64_t now_unix_ms,
                               const std::function<bool(int64_t pid)>& process_exists) {
  LostRankVerdict verdict;
  std::vector<std::string> described;
  for (int rank = 0; rank < static_cast<int>(heartbeats.size()); ++rank) {
    const std::optional<Heartbeat>& heartbeat = heartbeats[rank];
    const bool visible = rank != me && heartbeat.has_value() && heartbeat->host == my_host;
    if (visible && !process_exists(heartbeat->pid)) {
      verdict.gone.push_back(rank);
      const double age_s = std::max<double>(0, now_unix_ms - heartbeat->written_unix_ms) / 1e3;
      described.push_back(absl::StrFormat("rank %d (host %s, pid %d; its last heartbeat, %.0f s old: step %d, %s)",
                                          rank, heartbeat->host, heartbeat->pid, age_s, heartbeat->step,
                                          RunPhaseName(heartbeat->phase)));
    } else if (verdict.reporter < 0 && (rank == me || visible)) {
      verdict.reporter = rank;
    }
  }
  if (verdict.gone.empty()) return verdict;
  verdict.message = absl::StrFormat(
      "%s ended while the job ran, and the launcher is ending the job: rank %d on %s waited for %s in %s at step %d "
      "for %.1f s. Why it ended is in its own output or this host's kernel log (out of memory?)",
      absl::StrJoin(described, ", "), me, my_host, verdict.gone.size() == 1 ? "it" : "them", RunPhaseName(mine.phase),
      mine.step, mine.seconds_in_phase);
  return verdict;
}

bool ProcessExists(int64_t pid) { return kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH; }

}  // namespace strobe
