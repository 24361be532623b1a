#include "app/setup_watchdog.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "app/run_setup.h"
#include "worker/stall_watchdog.h"

namespace strobe {
namespace {

// How long a waiting rank gives the rank that holds it up to name itself (and the launcher to end the job) first.
constexpr double kGraceSeconds = 5;

}  // namespace

std::string DescribeSetupStall(const ProgressBeacon::Reading& reading, const DistributedContext& context, int pid,
                               double timeout_s) {
  if (!IsCollective(reading.phase)) {
    return absl::StrFormat(
        "strobe: error: stalled in set-up: rank %d on %s (pid %d) has been working on its own for %.0f s "
        "(--setup_timeout_s=%g) before training started: reading the data, the model or a checkpoint from a file "
        "system that hangs?",
        context.rank, context.host, pid, reading.seconds_in_phase, timeout_s);
  }
  if (context.rank > 1) return "";
  return absl::StrFormat(
      "strobe: error: stalled in set-up: rank %d on %s has been in a collective for %.0f s (--setup_timeout_s=%g) "
      "before training started; the ranks it waits for have not said why (stopped, or the host is down?)",
      context.rank, context.host, reading.seconds_in_phase, timeout_s);
}

SetupWatchdog::SetupWatchdog(const ProgressBeacon& beacon, const DistributedContext& context, double timeout_s)
    : beacon_(beacon), context_(context), timeout_s_(timeout_s) {
  // Alone, a slow set-up holds nobody up.
  if (timeout_s_ > 0 && context_.world_size > 1) thread_ = std::thread([this] { Watch(); });
}

SetupWatchdog::~SetupWatchdog() { Disarm(); }

void SetupWatchdog::Disarm() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    disarmed_ = true;
  }
  disarmed_signal_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SetupWatchdog::Watch() {
  const double period = std::min(1.0, timeout_s_ / 5);
  while (!WaitForDisarm(period)) {
    ProgressBeacon::Reading reading = beacon_.Read();
    if (reading.seconds_in_phase <= timeout_s_) continue;
    const bool waiting = IsCollective(reading.phase);
    if (waiting) {
      // Ranks 0 and 1 speak for the waiting ranks; the others leave the job's end to them and the launcher, since
      // exiting first, silently, would end the job before rank 0 has said why (each rank's wait began at its own
      // time).
      if (context_.rank > 1) continue;
      // The rank this one waits for names itself first, and the launcher then ends the job; rank 1 gives rank 0
      // the time to speak too.
      if (WaitForDisarm(kGraceSeconds * (context_.rank + 1))) return;
      reading = beacon_.Read();
      if (reading.seconds_in_phase <= timeout_s_) continue;  // the collective ended meanwhile
    }
    const std::string message = DescribeSetupStall(reading, context_, static_cast<int>(::getpid()), timeout_s_);
    std::fprintf(stderr, "%s\n", message.c_str());
    std::fflush(stderr);
    // A rank too slow on its own would be as slow again after a requeue (a first listing of a large folder, say);
    // one that cannot speak is stopped or gone, and a requeued job may run elsewhere.
    std::_Exit(waiting ? kExitStalled : kExitFailure);
  }
}

bool SetupWatchdog::WaitForDisarm(double seconds) {
  std::unique_lock<std::mutex> lock(mutex_);
  return disarmed_signal_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return disarmed_; });
}

}  // namespace strobe
