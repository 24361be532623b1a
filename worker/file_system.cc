#include "worker/file_system.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_format.h"

namespace strobe {

std::string JoinPath(std::string_view directory, std::string_view name) {
  if (directory.empty()) return std::string(name);
  std::string joined(directory);
  if (joined.back() != '/') joined += '/';
  joined += name;
  return joined;
}

bool PathExists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

absl::Status MakeDirectories(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  // Create each prefix ending at a '/', then the whole path.
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(absl::StrFormat("%s: %s", prefix, std::strerror(errno)));
    }
    if (slash == std::string::npos) break;
  }
  if (!IsDirectory(path)) return absl::FailedPreconditionError(absl::StrFormat("%s: Not a directory", path));
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  const std::string temp_path = path + ".tmp";
  std::FILE* file = std::fopen(temp_path.c_str(), "wb");
  if (file == nullptr) return absl::PermissionDeniedError(absl::StrFormat("%s: %s", temp_path, std::strerror(errno)));
  const bool written = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size() &&
                       std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
  const int saved_errno = errno;
  if (std::fclose(file) != 0 || !written) {
    std::remove(temp_path.c_str());
    return absl::DataLossError(absl::StrFormat("%s: write failed: %s", temp_path, std::strerror(saved_errno)));
  }
  return RenameFile(temp_path, path);
}

absl::Status RenameFile(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat("rename %s -> %s: %s", from, to, std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace strobe
