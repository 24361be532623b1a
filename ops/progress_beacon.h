#ifndef STROBE_OPS_PROGRESS_BEACON_H_
#define STROBE_OPS_PROGRESS_BEACON_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace strobe {

// What a rank is doing, for telling a stalled rank from the ranks that wait for it.
enum class RunPhase : int {
  kStarting,     // before the first step (restoring a checkpoint)
  kStepControl,  // the step's control word (LR, stop, checkpoint)
  kData,         // fetching and decoding the batch
  kCompute,      // mixing, forward, backward, the optimizer
  kAllReduce,    // inside an all-reduce: waiting for every rank
  kCollective,   // inside another collective (broadcast, gather, barrier)
  kCheckpoint,   // saving a checkpoint
  kEvaluation,   // evaluating on this rank's share of the test set
};

const char* RunPhaseName(RunPhase phase);
// In a collective a rank waits for the others; in any other phase it works on its own.
inline bool IsCollective(RunPhase phase) { return phase == RunPhase::kAllReduce || phase == RunPhase::kCollective; }

// Published by the training thread (two atomic stores per change), read by the stall watchdog's thread.
class ProgressBeacon {
 public:
  using Clock = std::chrono::steady_clock;

  struct Reading {
    int64_t step;
    RunPhase phase;
    double seconds_in_phase;
  };

  void SetStep(int64_t step) { step_.store(step, std::memory_order_relaxed); }
  // Returns the phase it replaces, for PhaseScope to restore.
  RunPhase Enter(RunPhase phase);
  Reading Read() const;

 private:
  std::atomic<int64_t> step_{0};
  std::atomic<int> phase_{static_cast<int>(RunPhase::kStarting)};
  std::atomic<int64_t> since_ns_{Clock::now().time_since_epoch().count()};
};

// Marks `phase` on `beacon` (may be null: no watchdog) for the scope's life, then restores the phase before it.
class PhaseScope {
 public:
  PhaseScope(ProgressBeacon* beacon, RunPhase phase)
      : beacon_(beacon), previous_(beacon != nullptr ? beacon->Enter(phase) : phase) {}
  ~PhaseScope() {
    if (beacon_ != nullptr) beacon_->Enter(previous_);
  }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  ProgressBeacon* beacon_;
  RunPhase previous_;
};

}  // namespace strobe

#endif  // STROBE_OPS_PROGRESS_BEACON_H_
