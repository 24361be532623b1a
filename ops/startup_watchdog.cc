#include "ops/startup_watchdog.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace strobe {

namespace {

constexpr double kRollCallWaitSeconds = 3;

// Without the launcher's view each process can only speak for itself.
std::string DescribeThisProcessGivingUp(double timeout_seconds, absl::string_view why_no_roll_call) {
  char host[256] = "?";
  ::gethostname(host, sizeof(host) - 1);
  return absl::StrFormat(
      "strobe: error: process %d on %s: the job did not start within %g s (--startup_timeout_s): not every rank "
      "reached MPI initialisation (a host down or a rank stuck before it; which one is unknown: %s); stopping "
      "instead of waiting forever",
      static_cast<int>(::getpid()), host, timeout_seconds, why_no_roll_call);
}

}  // namespace

StartupWatchdog::StartupWatchdog(double timeout_seconds, StartupRollCall* roll_call) {
  thread_ = std::thread([this, timeout_seconds, roll_call] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (disarmed_signal_.wait_for(lock, std::chrono::duration<double>(timeout_seconds), [this] { return disarmed_; })) {
      return;
    }
    const absl::StatusOr<StartupRollCall::Result> roll = roll_call->Take(kRollCallWaitSeconds);
    const std::string message = roll.ok() ? DescribeStartupFailure(*roll, timeout_seconds)
                                          : DescribeThisProcessGivingUp(timeout_seconds, roll.status().message());
    if (message.empty()) {
      // Another rank speaks for the job; leaving at once could make the launcher end that rank before it has.
      std::this_thread::sleep_for(std::chrono::seconds(2));
    } else {
      std::fprintf(stderr, "%s\n", message.c_str());
      std::fflush(stderr);
    }
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
