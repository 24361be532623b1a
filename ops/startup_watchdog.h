#ifndef STROBE_OPS_STARTUP_WATCHDOG_H_
#define STROBE_OPS_STARTUP_WATCHDOG_H_

#include <condition_variable>
#include <mutex>
#include <thread>

#include "ops/startup_roll_call.h"

namespace strobe {

// Ends this process if the job's start-up does not finish in time. MPI_Init and the first collectives wait for
// every rank of the job; when a rank never arrives (a host that hangs, a process stuck before MPI_Init), the others
// would wait forever. Armed before InitDistributed and disarmed once it returned (all ranks met in its first
// collective); on timeout it names the ranks that never started (asking the launcher through `roll_call`, since MPI
// cannot say while MPI_Init blocks) and exits with code 1, which makes the launcher end the job.
class StartupWatchdog {
 public:
  StartupWatchdog(double timeout_seconds, StartupRollCall* roll_call);
  ~StartupWatchdog();
  StartupWatchdog(const StartupWatchdog&) = delete;
  StartupWatchdog& operator=(const StartupWatchdog&) = delete;

  void Disarm();

 private:
  std::mutex mutex_;
  std::condition_variable disarmed_signal_;
  bool disarmed_ = false;
  std::thread thread_;
};

}  // namespace strobe

#endif  // STROBE_OPS_STARTUP_WATCHDOG_H_
