#ifndef STROBE_WORKER_FILE_SYSTEM_H_
#define STROBE_WORKER_FILE_SYSTEM_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace strobe {

// The few file-system operations Strobe needs, on POSIX calls rather than std::filesystem: PyTorch 2.x wheels'
// libtorch_cpu.so exports its own copies of libstdc++'s std::filesystem symbols under libstdc++'s version tags,
// so a program linking it may bind std::filesystem calls to a foreign build of them (seen crashing this project's
// tests on a PyTorch 2.11 host; see docs/gpu_check.md).

std::string JoinPath(std::string_view directory, std::string_view name);
bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);

// Like `mkdir -p`: creates `path` and its missing parents; OK if it already is a directory.
absl::Status MakeDirectories(const std::string& path);

// Writes `contents` to `path` via `path`.tmp, fsync and rename, so a reader or a crash sees either the old file
// or the complete new one.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

// Atomically replaces `to` by `from` (same file system), like rename(2).
absl::Status RenameFile(const std::string& from, const std::string& to);

}  // namespace strobe

#endif  // STROBE_WORKER_FILE_SYSTEM_H_
