#ifndef STROBE_APP_SETUP_WATCHDOG_H_
#define STROBE_APP_SETUP_WATCHDOG_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "ops/distributed_context.h"
#include "ops/progress_beacon.h"

namespace strobe {

// The line a rank prints when one phase of the training's set-up has lasted longer than `timeout_s`, or "" when it
// leaves the speaking to another rank. A rank working on its own is the one that holds the others up: it names
// itself. Of the ranks waiting in a collective only ranks 0 and 1 speak (rank 1 later, in case rank 0 is the
// stopped one), so a 1024-rank job prints a line or two, not 1024.
std::string DescribeSetupStall(const ProgressBeacon::Reading& reading, const DistributedContext& context, int pid,
                               double timeout_s);

// Ends a training job whose set-up stops making progress: after every rank has started, before the training loop
// (loading the data and the model, sharing the initial weights, the run directory, choosing a checkpoint). The
// start-up watchdog (ops/startup_watchdog.h) is disarmed once MPI has started and the stall watchdog
// (worker/stall_watchdog.h) only watches training, so without this a rank stuck here (a hung file system, a stopped
// process) leaves the others waiting in their next collective with nothing said. A thread reads `beacon`, on which
// the set-up's communicator marks its collectives, once a second; once a phase has lasted longer than `timeout_s`
// (--setup_timeout_s; <= 0, or a job of one rank: never) a rank working on its own prints DescribeSetupStall's line
// and exits with 1; rank 0 (then rank 1) waiting in a collective prints its line after a grace and exits with
// kExitStalled. Either makes the launcher end the job; the other ranks wait for that.
class SetupWatchdog {
 public:
  SetupWatchdog(const ProgressBeacon& beacon, const DistributedContext& context, double timeout_s);
  ~SetupWatchdog();
  SetupWatchdog(const SetupWatchdog&) = delete;
  SetupWatchdog& operator=(const SetupWatchdog&) = delete;

  // The set-up is over; waits for the thread to end.
  void Disarm();

 private:
  void Watch();
  // Waits up to `seconds` for Disarm; returns whether it came.
  bool WaitForDisarm(double seconds);

  const ProgressBeacon& beacon_;
  const DistributedContext context_;
  const double timeout_s_;
  std::mutex mutex_;
  std::condition_variable disarmed_signal_;
  bool disarmed_ = false;
  std::thread thread_;
};

}  // namespace strobe

#endif  // STROBE_APP_SETUP_WATCHDOG_H_
