#include "ops/startup_watchdog.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace strobe {

StartupWatchdog::StartupWatchdog(double timeout_seconds) {
  thread_ = std::thread([this, timeout_seconds] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (disarmed_signal_.wait_for(lock, std::chrono::duration<double>(timeout_seconds), [this] { return disarmed_; })) {
      return;
    }
    char host[256] = "?";
    ::gethostname(host, sizeof(host) - 1);
    std::fprintf(stderr,
                 "strobe: error: process %d on %s: the job did not start within %g s (--startup_timeout_s): not every "
                 "rank reached MPI initialisation (a host down or a rank stuck before it); stopping instead of "
                 "waiting forever\n",
                 static_cast<int>(::getpid()), host, timeout_seconds);
    std::fflush(stderr);
    std::_Exit(1);
  });
}

void StartupWatchdog::Disarm() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    disarmed_ = true;
  }
  disarmed_signal_.notify_all();
}

StartupWatchdog::~StartupWatchdog() {
  Disarm();
  thread_.join();
}

}  // namespace strobe
