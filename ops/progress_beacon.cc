#include "ops/progress_beacon.h"

namespace strobe {

const char* RunPhaseName(RunPhase phase) {
  switch (phase) {
    case RunPhase::kStarting: return "start-up";
    case RunPhase::kStepControl: return "step control";
    case RunPhase::kData: return "data";
    case RunPhase::kCompute: return "forward/backward";
    case RunPhase::kAllReduce: return "all-reduce";
    case RunPhase::kCollective: return "collective";
    case RunPhase::kCheckpoint: return "checkpoint";
    case RunPhase::kEvaluation: return "evaluation";
  }
  return "unknown";
}

RunPhase ProgressBeacon::Enter(RunPhase phase) {
  // The time first: a reader that sees the new phase with the old time would think it had lasted long.
  since_ns_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  return static_cast<RunPhase>(phase_.exchange(static_cast<int>(phase), std::memory_order_release));
}

ProgressBeacon::Reading ProgressBeacon::Read() const {
  const RunPhase phase = static_cast<RunPhase>(phase_.load(std::memory_order_acquire));
  const Clock::duration since(since_ns_.load(std::memory_order_relaxed));
  return Reading{step_.load(std::memory_order_relaxed), phase,
                 std::chrono::duration<double>(Clock::now().time_since_epoch() - since).count()};
}

}  // namespace strobe
