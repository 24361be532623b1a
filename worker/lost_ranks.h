#ifndef STROBE_WORKER_LOST_RANKS_H_
#define STROBE_WORKER_LOST_RANKS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ops/progress_beacon.h"
#include "worker/heartbeat_file.h"

namespace strobe {

// What a rank that the launcher is ending (SIGTERM while it waits in a collective) makes of the heartbeats of the
// ranks on its own host, the only ones whose processes it can see: when a rank dies (kill -9, the out-of-memory
// killer, a crash), mpirun and srun end the others and say little more than "exited on signal 9".
struct LostRankVerdict {
  std::vector<int> gone;  // ranks of this host whose process has ended
  int reporter = -1;      // the lowest-numbered rank of this host still running: it prints the line
  std::string message;    // one line naming the gone ranks, pids, last steps and phases; empty if none is gone
};

// `heartbeats[r]`: rank r's, or empty if it never wrote one; `process_exists(pid)` looks a pid up on this host.
LostRankVerdict JudgeLostRanks(int me, const ProgressBeacon::Reading& mine, const std::string& my_host,
                               const std::vector<std::optional<Heartbeat>>& heartbeats, int64_t now_unix_ms,
                               const std::function<bool(int64_t pid)>& process_exists);

// kill(pid, 0): false only when no such process exists (another user's process exists).
bool ProcessExists(int64_t pid);

}  // namespace strobe

#endif  // STROBE_WORKER_LOST_RANKS_H_
