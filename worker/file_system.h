#ifndef STROBE_WORKER_FILE_SYSTEM_H_
#define STROBE_WORKER_FILE_SYSTEM_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strobe {

// The few file-system operations Strobe needs, on POSIX calls rather than std::filesystem: PyTorch 2.x wheels'
// libtorch_cpu.so exports its own copies of libstdc++'s std::filesystem symbols under libstdc++'s version tags,
// so a program linking it may bind std::filesystem calls to a foreign build of them (seen crashing this project's
// tests on a PyTorch 2.11 host; see docs/gpu.md).

std::string JoinPath(std::string_view directory, std::string_view name);
bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);

// Like `mkdir -p`: creates `path` and its missing parents; OK if it already is a directory.
absl::Status MakeDirectories(const std::string& path);

// Writes `contents` to `path` via a temporary file of this process, fsync and rename, so a reader or a crash sees
// either the old file or a complete new one, even with several processes writing it at once.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

// Creates or truncates `path`, writes `contents` and fsyncs it: on disk when this returns OK.
absl::Status WriteFileDurably(const std::string& path, std::string_view contents);

// The same without the fsync, for many files that can be made again (a generated dataset).
absl::Status WriteFile(const std::string& path, std::string_view contents);

// Size and modification time (ns) of a file or directory: what caches check to see that a dataset is unchanged.
struct FileStamp {
  int64_t size = 0;
  int64_t modified_ns = 0;
};
absl::StatusOr<FileStamp> StatFile(const std::string& path);

// fsync on a directory, so entries created or renamed in it survive a power loss.
absl::Status SyncDirectory(const std::string& path);

absl::StatusOr<std::string> ReadFile(const std::string& path);

// The names in `path` (without "." and ".."), sorted.
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& path);

// Like `rm -r`: removes `path` and, for a directory, everything below it. OK if `path` does not exist.
absl::Status RemoveTree(const std::string& path);

// AlreadyExists, naming `path`, when something is there: outputs are never overwritten.
absl::Status CheckNothingAt(const std::string& path);

// Atomically replaces `to` by `from` (same file system), like rename(2).
absl::Status RenameFile(const std::string& from, const std::string& to);

}  // namespace strobe

#endif  // STROBE_WORKER_FILE_SYSTEM_H_
