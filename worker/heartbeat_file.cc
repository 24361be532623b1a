#include "worker/heartbeat_file.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "worker/file_system.h"

namespace strobe {

std::string HeartbeatPath(const std::string& run_dir, int rank) {
  return JoinPath(JoinPath(run_dir, "heartbeat"), absl::StrFormat("rank-%05d", rank));
}

absl::Status WriteHeartbeat(const std::string& run_dir, int rank, const Heartbeat& heartbeat) {
  // One line: step, phase number, seconds in phase, write time, pid, host (last: it is the only free text).
  return WriteFileAtomically(HeartbeatPath(run_dir, rank),
                             absl::StrFormat("%d %d %.3f %d %d %s\n", heartbeat.step,
                                             static_cast<int>(heartbeat.phase), heartbeat.seconds_in_phase,
                                             heartbeat.written_unix_ms, heartbeat.pid, heartbeat.host));
}

std::optional<Heartbeat> ReadHeartbeat(const std::string& run_dir, int rank) {
  absl::StatusOr<std::string> text = ReadFile(HeartbeatPath(run_dir, rank));
  if (!text.ok() || text->empty() || text->back() != '\n') return std::nullopt;
  const std::vector<std::string> fields = absl::StrSplit(text->substr(0, text->size() - 1), absl::MaxSplits(' ', 5));
  Heartbeat heartbeat;
  int phase = 0;
  if (fields.size() != 6 || !absl::SimpleAtoi(fields[0], &heartbeat.step) || !absl::SimpleAtoi(fields[1], &phase) ||
      phase < 0 || phase > static_cast<int>(RunPhase::kEvaluation) ||
      !absl::SimpleAtod(fields[2], &heartbeat.seconds_in_phase) ||
      !absl::SimpleAtoi(fields[3], &heartbeat.written_unix_ms) || !absl::SimpleAtoi(fields[4], &heartbeat.pid)) {
    return std::nullopt;
  }
  heartbeat.phase = static_cast<RunPhase>(phase);
  heartbeat.host = fields[5];
  return heartbeat;
}

}  // namespace strobe
