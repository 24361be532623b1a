#include "worker/output/run_directory_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"
#include "absl/strings/ascii.h"
#include "worker/file_system.h"
#include "worker/wall_clock.h"

namespace strobe {
namespace {

std::string ReadAll(int fd) {
  std::string text;
  char buffer[512];
  ssize_t got;
  while ((got = pread(fd, buffer, sizeof(buffer), static_cast<off_t>(text.size()))) > 0) text.append(buffer, got);
  return text;
}

absl::Status Describe(int fd, const std::string& description) {
  if (ftruncate(fd, 0) != 0 || pwrite(fd, description.data(), description.size(), 0) !=
                                   static_cast<ssize_t>(description.size()) || fsync(fd) != 0) {
    return absl::InternalError(std::strerror(errno));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunDirectoryLock>> RunDirectoryLock::Acquire(const std::string& run_dir,
                                                                           const std::string& host) {
  const std::string path = JoinPath(run_dir, kLockFileName);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrFormat("--run_dir=%s: cannot open its lock file %s: %s", run_dir, path, std::strerror(errno)));
  }
  struct flock whole_file {};
  whole_file.l_type = F_WRLCK;
  whole_file.l_whence = SEEK_SET;
  if (fcntl(fd, F_OFD_SETLK, &whole_file) != 0) {
    const int error = errno;
    const std::string holder(absl::StripTrailingAsciiWhitespace(ReadAll(fd)));
    close(fd);
    if (error == EACCES || error == EAGAIN) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "--run_dir=%s is in use by another strobe run (%s); wait for it to end or stop it (write 'stop' to "
          "%s/control), or choose another --run_dir",
          run_dir, holder.empty() ? "holder unknown" : holder, run_dir));
    }
    return absl::InternalError(
        absl::StrFormat("--run_dir=%s: cannot lock %s: %s", run_dir, path, std::strerror(error)));
  }
  std::string previous(absl::StripTrailingAsciiWhitespace(ReadAll(fd)));
  const std::string mine = absl::StrFormat("host %s, pid %d, started %s\n", host, getpid(), UtcNow());
  if (absl::Status described = Describe(fd, mine); !described.ok()) {
    close(fd);
    return absl::Status(described.code(),
                        absl::StrFormat("--run_dir=%s: cannot write %s: %s", run_dir, path, described.message()));
  }
  return std::unique_ptr<RunDirectoryLock>(new RunDirectoryLock(fd, std::move(previous)));
}

RunDirectoryLock::~RunDirectoryLock() {
  if (ftruncate(fd_, 0) == 0) fsync(fd_);
  close(fd_);  // releases the lock
}

}  // namespace strobe
