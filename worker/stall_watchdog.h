#ifndef STROBE_WORKER_STALL_WATCHDOG_H_
#define STROBE_WORKER_STALL_WATCHDOG_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ops/distributed_context.h"
#include "ops/progress_beacon.h"
#include "worker/heartbeat_file.h"

namespace strobe {

// The exit code of a job ended for a stalled rank: a requested stop's (kExitStoppedForResume in app/stop_signals.h),
// since --resume=auto continues both.
inline constexpr int kExitStalled = 75;

// What a rank that waited too long makes of every rank's heartbeat.
struct StallVerdict {
  std::vector<int> behind;  // ranks not waiting in the collective the others wait in, or silent (stopped)
  int reporter = 0;         // the live rank that reports (the lowest-numbered one waiting in a collective)
  std::string message;      // one line naming the ranks behind, their hosts, steps and phases
};

// How often a rank's watchdog writes its heartbeat, and how long a rank may stay silent before it counts as
// stopped (several periods, so that a slow write to a shared file system is not taken for a stop).
double HeartbeatPeriod(double timeout_s);
double SilenceLimit(double timeout_s);

// `heartbeats[r]`: rank r's, or empty if it never wrote one. `me`: this rank, whose own phase has lasted longer
// than `timeout_s` (its reading is fresher than its file).
StallVerdict JudgeStall(int me, const ProgressBeacon::Reading& mine, const std::string& my_host,
                        const std::vector<std::optional<Heartbeat>>& heartbeats, int64_t now_unix_ms,
                        double timeout_s);

// Ends a job that stopped making progress, instead of letting it hang until the allocation runs out (a rank
// stopped, swapping, stuck in an NFS read or a GPU kernel). A thread per rank, waking ten times a second (never
// spinning), writes this rank's heartbeat (step, phase) to RUN_DIR/heartbeat/ every HeartbeatPeriod and checks how
// long the training thread has been in its current phase. Past `timeout_s` it reads every rank's heartbeat: the
// reporting rank prints one error naming the ranks behind, appends it to metrics.jsonl and exits with
// kExitStalled, which makes the launcher end the whole job; the other ranks that noticed exit the same way a little
// later, silently, unless the reporter is gone too. A stop signal that finds the training thread stuck in a
// collective is the launcher ending a job whose rank died: the lowest live rank of that rank's host names it the
// same way (JudgeLostRanks). timeout_s <= 0 turns it off.
class StallWatchdog {
 public:
  // `stop_requested`: whether a stop signal (SIGTERM) has arrived.
  StallWatchdog(const ProgressBeacon& beacon, const std::string& run_dir, const DistributedContext& context,
                double timeout_s, std::function<bool()> stop_requested);
  ~StallWatchdog();
  StallWatchdog(const StallWatchdog&) = delete;
  StallWatchdog& operator=(const StallWatchdog&) = delete;

 private:
  void Watch();
  void Publish(const ProgressBeacon::Reading& reading);
  std::vector<std::optional<Heartbeat>> ReadHeartbeats() const;
  [[noreturn]] void EndStalledJob(const ProgressBeacon::Reading& reading);
  void ReportLostRanks(const ProgressBeacon::Reading& reading);
  // Prints "strobe: error: MESSAGE. ADVICE", appends {"kind": KIND} to metrics.jsonl and exits.
  [[noreturn]] void EndJob(const ProgressBeacon::Reading& reading, const char* kind, const std::string& message,
                           const std::string& advice);

  const ProgressBeacon& beacon_;
  const std::string run_dir_;
  const DistributedContext context_;
  const double timeout_s_;
  const std::function<bool()> stop_requested_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_STALL_WATCHDOG_H_
