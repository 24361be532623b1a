#ifndef STROBE_OPS_STARTUP_WATCHDOG_H_
#define STROBE_OPS_STARTUP_WATCHDOG_H_

#include <condition_variable>
#include <mutex>
#include <thread>

namespace strobe {

// Ends this process if the job's start-up does not finish in time. MPI_Init and the first collectives wait for
// every rank of the job; when a rank never arrives (a host that hangs, a process stuck before MPI_Init), the others
// would wait forever. Armed before InitDistributed and disarmed once it returned (all ranks met in its first
// collective); on timeout it prints which process gave up and exits with code 1, which makes the launcher end the
// job. MPI cannot say which rank is missing while MPI_Init blocks: the ranks that report are the ones that arrived.
class StartupWatchdog {
 public:
  explicit StartupWatchdog(double timeout_seconds);
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
