#ifndef STROBE_WORKER_HEARTBEAT_FILE_H_
#define STROBE_WORKER_HEARTBEAT_FILE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "ops/progress_beacon.h"

namespace strobe {

// One rank's last published progress, as RUN_DIR/heartbeat/rank-NNNNN holds it. The run directory is shared by all
// hosts (checkpoints need that already), so any live rank can read every rank's heartbeat without asking the
// stalled one, through MPI or otherwise.
struct Heartbeat {
  int64_t step = 0;
  RunPhase phase = RunPhase::kStarting;
  double seconds_in_phase = 0;  // when written
  int64_t written_unix_ms = 0;  // by the writer's clock
  int64_t pid = 0;
  std::string host;
};

std::string HeartbeatPath(const std::string& run_dir, int rank);

// Replaces the rank's file atomically (temporary file, rename), so a reader never sees half a record.
absl::Status WriteHeartbeat(const std::string& run_dir, int rank, const Heartbeat& heartbeat);

// Empty when the rank never wrote one or the file is not a heartbeat.
std::optional<Heartbeat> ReadHeartbeat(const std::string& run_dir, int rank);

}  // namespace strobe

#endif  // STROBE_WORKER_HEARTBEAT_FILE_H_
