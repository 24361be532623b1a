#ifndef STROBE_WORKER_OUTPUT_RUN_DIRECTORY_LOCK_H_
#define STROBE_WORKER_OUTPUT_RUN_DIRECTORY_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace strobe {

inline constexpr char kLockFileName[] = "lock";

// Keeps a second run out of a live run's directory (two runs there would interleave checkpoints and metrics).
// Rank 0 holds an open-file-description lock (fcntl F_OFD_SETLK) on RUN_DIR/lock for the run's life: unlike a
// classic POSIX record lock, it is not dropped when the process happens to open and close the file elsewhere. The
// kernel releases it when the process ends in any way, kill -9 included, and over NFS (v4, or v3 with lockd) the
// server does when the client's lease ends, so a dead run never blocks the next one. The file names the holder,
// for the refusal message.
class RunDirectoryLock {
 public:
  // `run_dir` must exist. FailedPrecondition, naming the holder's host, pid and start time, while another process
  // holds the lock.
  static absl::StatusOr<std::unique_ptr<RunDirectoryLock>> Acquire(const std::string& run_dir,
                                                                  const std::string& host);
  ~RunDirectoryLock();  // empties the file, so the next holder can tell a clean end from a crash, and releases
  RunDirectoryLock(const RunDirectoryLock&) = delete;
  RunDirectoryLock& operator=(const RunDirectoryLock&) = delete;

  // The previous holder's description when it ended without releasing (a crash, kill -9, a lost node), else "".
  const std::string& taken_over_from() const { return taken_over_from_; }

 private:
  explicit RunDirectoryLock(int fd, std::string taken_over_from)
      : fd_(fd), taken_over_from_(std::move(taken_over_from)) {}

  int fd_;
  std::string taken_over_from_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_OUTPUT_RUN_DIRECTORY_LOCK_H_
