#ifndef STROBE_WORKER_STEP_BREAKDOWN_H_
#define STROBE_WORKER_STEP_BREAKDOWN_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace strobe {

// Where a training step's wall time goes on one rank. The parts cover the whole step, so they add up to it.
enum class StepPart : int {
  kDataWait = 0,  // waiting for the batch (decoding not hidden by prefetching)
  kMixing,        // the batch onto the device, normalised, mixed (or its targets smoothed)
  kForward,       // forward pass and loss
  kBackward,      // backward, less the all-reduces it started
  kAllReduce,     // gradient averaging the step waited for: on the CPU all of it, on a GPU what backward did not hide
  kOptimizer,     // finiteness check and the optimizer update
  kControl,       // the coordinator's step decision (one small broadcast)
  kCheckpoint,    // a checkpoint taken before this step (cadence, operator request or stop)
  kOther,         // the rest: sample indices, prefetch requests
};
inline constexpr int kStepParts = 9;
std::string_view StepPartName(StepPart part);  // "data_wait", "mixing", ...

// The mean seconds per step of each part over a window of steps on one rank.
struct StepWindow {
  int64_t steps = 0;
  std::array<double, kStepParts> seconds_per_step{};

  double step_seconds() const;
  // Time the rank spent working rather than waiting for the others (all-reduce and step control are waits).
  double busy_seconds() const;
};

// Times the parts of this rank's steps: each Mark() gives the time since the previous mark to a part. Reading a
// steady clock costs tens of nanoseconds, so on the CPU every step is timed. On a GPU the host runs ahead of the
// device, so host time would say little: there `device_sync` is called before each mark, and only steps begun with
// BeginStep(/*sampled=*/true) (one per report window) are timed, so the waits cost one step in a window.
class StepTimer {
 public:
  using Clock = std::chrono::steady_clock;
  explicit StepTimer(std::function<void()> device_sync = nullptr) : device_sync_(std::move(device_sync)) {}

  // True on the CPU: every step is timed.
  bool times_every_step() const { return !device_sync_; }
  void BeginStep(bool sampled);
  void Mark(StepPart part);
  // Moves time already given to `from` over to `to` (the all-reduces that ran inside backward).
  void Move(StepPart from, StepPart to, double seconds);
  // Gives the time since the last mark to kOther and counts the step.
  void EndStep();
  // The steps ended since the last call (per-step means), and a new window; a step in progress (a report taken
  // while its step's gradients travel) goes to the next window.
  StepWindow TakeWindow();

 private:
  std::function<void()> device_sync_;
  bool timing_ = false;
  Clock::time_point last_mark_;
  int64_t steps_ = 0;
  std::array<double, kStepParts> seconds_{};          // the steps ended since TakeWindow()
  std::array<double, kStepParts> current_seconds_{};  // the step in progress
};

// One part's spread over the ranks, in seconds per step.
struct Spread {
  double min = 0.0;
  double median = 0.0;
  double max = 0.0;
};

// The windows of all ranks, reduced as rank 0 reports them.
struct RankBreakdown {
  std::array<Spread, kStepParts> parts;
  Spread step;
  Spread busy;
  int slowest_rank = -1;  // the rank with the most busy time per step
  // The slowest rank is a straggler when it is busy more than 10% longer than the median rank (2+ ranks).
  bool straggler = false;
};
RankBreakdown ReduceBreakdown(const std::vector<StepWindow>& windows_by_rank);

}  // namespace strobe

#endif  // STROBE_WORKER_STEP_BREAKDOWN_H_
