#include "worker/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
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

namespace {

absl::Status WriteFileSynced(const std::string& path, std::string_view contents, bool sync) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return absl::PermissionDeniedError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  const bool written = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size() &&
                       std::fflush(file) == 0 && (!sync || ::fsync(fileno(file)) == 0);
  const int saved_errno = errno;
  if (std::fclose(file) != 0 || !written) {
    std::remove(path.c_str());
    return absl::DataLossError(absl::StrFormat("%s: write failed: %s", path, std::strerror(saved_errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileDurably(const std::string& path, std::string_view contents) {
  return WriteFileSynced(path, contents, /*sync=*/true);
}

absl::Status WriteFile(const std::string& path, std::string_view contents) {
  return WriteFileSynced(path, contents, /*sync=*/false);
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  // Named per process: several processes (the ranks of a job) may write the same file at once.
  const std::string temp_path = absl::StrCat(path, ".tmp.", ::getpid());
  if (absl::Status written = WriteFileDurably(temp_path, contents); !written.ok()) return written;
  return RenameFile(temp_path, path);
}

absl::StatusOr<FileStamp> StatFile(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return absl::NotFoundError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  return FileStamp{static_cast<int64_t>(info.st_size),
                   static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec};
}

absl::Status SyncDirectory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  const bool synced = ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!synced) return absl::DataLossError(absl::StrFormat("fsync %s: %s", path, std::strerror(saved_errno)));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrFormat("%s: read failed", path));
  return contents.str();
}

absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return absl::NotFoundError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status RemoveTree(const std::string& path) {
  struct stat info;
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrFormat("%s: %s", path, std::strerror(errno)));
  }
  if (S_ISDIR(info.st_mode)) {
    absl::StatusOr<std::vector<std::string>> names = ListDirectory(path);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      if (absl::Status removed = RemoveTree(JoinPath(path, name)); !removed.ok()) return removed;
    }
    if (::rmdir(path.c_str()) == 0) return absl::OkStatus();
  } else if (::unlink(path.c_str()) == 0) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrFormat("remove %s: %s", path, std::strerror(errno)));
}

absl::Status CheckNothingAt(const std::string& path) {
  if (!PathExists(path)) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrFormat("%s already exists; not overwriting it", path));
}

absl::Status RenameFile(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat("rename %s -> %s: %s", from, to, std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace strobe
