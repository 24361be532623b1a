#include "worker/stall_watchdog.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "worker/file_system.h"
#include "worker/lost_ranks.h"
#include "worker/output/json_line.h"
#include "worker/output/run_directory.h"
#include "worker/wall_clock.h"

namespace strobe {

double HeartbeatPeriod(double timeout_s) { return std::clamp(timeout_s / 5, 0.2, 10.0); }

double SilenceLimit(double timeout_s) { return std::max(timeout_s / 2, 2 * HeartbeatPeriod(timeout_s)); }

StallVerdict JudgeStall(int me, const ProgressBeacon::Reading& mine, const std::string& my_host,
                        const std::vector<std::optional<Heartbeat>>& heartbeats, int64_t now_unix_ms,
                        double timeout_s) {
  std::vector<std::optional<Heartbeat>> all = heartbeats;
  all[me] = Heartbeat{mine.step, mine.phase, mine.seconds_in_phase, now_unix_ms, getpid(), my_host};
  int64_t newest_step = 0;
  for (const auto& heartbeat : all) {
    if (heartbeat.has_value()) newest_step = std::max(newest_step, heartbeat->step);
  }
  StallVerdict verdict;
  verdict.reporter = -1;
  std::vector<std::string> described;
  for (int rank = 0; rank < static_cast<int>(all.size()); ++rank) {
    const std::optional<Heartbeat>& heartbeat = all[rank];
    // A rank stopped inside a collective still names it in its last heartbeat; its silence gives it away.
    const double silent_s = heartbeat.has_value() ? (now_unix_ms - heartbeat->written_unix_ms) / 1e3 : 0.0;
    const bool silent = silent_s > SilenceLimit(timeout_s);
    const bool waiting =
        heartbeat.has_value() && !silent && heartbeat->step == newest_step && IsCollective(heartbeat->phase);
    if (waiting) {
      if (verdict.reporter < 0) verdict.reporter = rank;
      continue;
    }
    verdict.behind.push_back(rank);
    if (!heartbeat.has_value()) {
      described.push_back(absl::StrFormat("rank %d: no heartbeat (it never started training)", rank));
      continue;
    }
    described.push_back(absl::StrFormat(
        "rank %d (host %s, pid %d): step %d, %s for %.0f s%s", rank, heartbeat->host, heartbeat->pid,
        heartbeat->step, RunPhaseName(heartbeat->phase), heartbeat->seconds_in_phase + std::max(0.0, silent_s),
        silent ? absl::StrFormat(", silent for %.0f s (stopped or its host is down?)", silent_s) : ""));
  }
  if (verdict.reporter < 0) verdict.reporter = me;  // nobody waits in a collective: this rank reports its own stall
  const std::string where = absl::StrFormat("rank %d on %s has been in %s at step %d for %.0f s (--stall_timeout_s=%g)",
                                            me, my_host, RunPhaseName(mine.phase), mine.step, mine.seconds_in_phase,
                                            timeout_s);
  verdict.message =
      verdict.behind.empty()
          ? absl::StrFormat("stalled: %s; every rank is waiting in it, so the collective itself does not complete "
                            "(the network?)",
                            where)
          : absl::StrFormat("stalled: %s; %d of %d ranks hold it up: %s", where, verdict.behind.size(),
                            all.size(), absl::StrJoin(described, "; "));
  return verdict;
}

StallWatchdog::StallWatchdog(const ProgressBeacon& beacon, const std::string& run_dir,
                             const DistributedContext& context, double timeout_s, std::function<bool()> stop_requested)
    : beacon_(beacon),
      run_dir_(run_dir),
      context_(context),
      timeout_s_(timeout_s),
      stop_requested_(std::move(stop_requested)) {
  if (timeout_s_ <= 0) return;
  MakeDirectories(JoinPath(run_dir_, "heartbeat")).IgnoreError();  // a failed write below says why
  thread_ = std::thread([this] { Watch(); });
}

StallWatchdog::~StallWatchdog() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  thread_.join();
}

void StallWatchdog::Publish(const ProgressBeacon::Reading& reading) {
  // A heartbeat that cannot be written (a full disk) costs the diagnosis, not the run.
  WriteHeartbeat(run_dir_, context_.rank,
                 Heartbeat{reading.step, reading.phase, reading.seconds_in_phase, UnixMillisNow(), getpid(),
                           context_.host})
      .IgnoreError();
}

std::vector<std::optional<Heartbeat>> StallWatchdog::ReadHeartbeats() const {
  std::vector<std::optional<Heartbeat>> heartbeats;
  for (int rank = 0; rank < context_.world_size; ++rank) heartbeats.push_back(ReadHeartbeat(run_dir_, rank));
  return heartbeats;
}

void StallWatchdog::Watch() {
  using Seconds = std::chrono::duration<double>;
  const Seconds period(HeartbeatPeriod(timeout_s_));
  // Open MPI sends SIGKILL 1 s after the SIGTERM that ends a job whose rank died: the lost rank is named before.
  const Seconds tick = std::min(period, Seconds(0.1));
  const double stuck_after_stop_s = 0.3;
  Publish(beacon_.Read());  // at once: a rank that stops before the first period is still on record
  auto next_heartbeat = std::chrono::steady_clock::now() + period;
  bool looked_for_lost_ranks = false;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_signal_.wait_for(lock, tick, [this] { return stopping_; })) {
    const ProgressBeacon::Reading reading = beacon_.Read();
    if (std::chrono::steady_clock::now() >= next_heartbeat) {
      Publish(reading);
      next_heartbeat += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
      if (reading.seconds_in_phase > timeout_s_) EndStalledJob(reading);
    }
    // A stop request normally ends the run at the next step boundary; one that finds the training thread stuck in
    // a collective is the launcher ending a job whose rank has died.
    if (!looked_for_lost_ranks && IsCollective(reading.phase) && reading.seconds_in_phase >= stuck_after_stop_s &&
        stop_requested_()) {
      looked_for_lost_ranks = true;
      ReportLostRanks(reading);
    }
  }
}

void StallWatchdog::ReportLostRanks(const ProgressBeacon::Reading& reading) {
  const LostRankVerdict verdict =
      JudgeLostRanks(context_.rank, reading, context_.host, ReadHeartbeats(), UnixMillisNow(), ProcessExists);
  if (verdict.gone.empty() || verdict.reporter != context_.rank) return;  // the launcher's SIGKILL follows
  EndJob(reading, "rank_lost", verdict.message, "Continue the job with --resume=auto");
}

void StallWatchdog::EndStalledJob(const ProgressBeacon::Reading& reading) {
  const StallVerdict verdict =
      JudgeStall(context_.rank, reading, context_.host, ReadHeartbeats(), UnixMillisNow(), timeout_s_);
  if (verdict.reporter != context_.rank) {
    // The reporter ends the job; if it cannot (it is stuck too), this rank does, with the same line.
    std::this_thread::sleep_for(std::chrono::duration<double>(std::clamp(timeout_s_ / 2, 5.0, 60.0)));
  }
  EndJob(reading, "stall", verdict.message,
         absl::StrFormat("Ending the job (exit %d); continue it with --resume=auto", kExitStalled));
}

void StallWatchdog::EndJob(const ProgressBeacon::Reading& reading, const char* kind, const std::string& message,
                           const std::string& advice) {
  std::fprintf(stderr, "strobe: error: %s. %s\n", message.c_str(), advice.c_str());
  if (std::FILE* metrics = std::fopen(JoinPath(run_dir_, kMetricsFileName).c_str(), "a"); metrics != nullptr) {
    const JsonLine line =
        JsonLine().Add("kind", kind).Add("step", reading.step).Add("message", message).AddTimes(started_);
    std::fprintf(metrics, "%s\n", line.str().c_str());
    std::fclose(metrics);
  }
  std::fflush(stderr);
  // Not MPI_Abort: the training thread may be inside MPI, and MPI is initialised for one thread at a time. A rank
  // that exits before MPI_Finalize makes mpirun and srun end every rank of the job.
  std::_Exit(kExitStalled);
}

}  // namespace strobe
