#include "worker/output/run_directory.h"

#include "absl/strings/str_format.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

absl::Status MakeRunDirectory(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("--run_dir must not be empty");
  if (absl::Status made = MakeDirectories(path); !made.ok()) {
    return absl::PermissionDeniedError(absl::StrFormat("--run_dir=%s cannot be created: %s", path, made.message()));
  }
  return absl::OkStatus();
}

absl::Status WriteConfig(const std::string& path, const std::string& config_json) {
  if (absl::Status written = WriteFileAtomically(JoinPath(path, kConfigFileName), config_json + "\n");
      !written.ok()) {
    return absl::PermissionDeniedError(absl::StrFormat("--run_dir=%s is not writable: %s", path, written.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PrepareRunDirectory(const std::string& path, const std::string& config_json) {
  if (absl::Status made = MakeRunDirectory(path); !made.ok()) return made;
  for (const char* existing : {kConfigFileName, kMetricsFileName}) {
    if (PathExists(JoinPath(path, existing))) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "--run_dir=%s already holds a run (%s); choose a new directory so nothing is overwritten, or continue "
          "it with --resume=auto",
          path, existing));
    }
  }
  return WriteConfig(path, config_json);
}

absl::Status PrepareResumedRunDirectory(const std::string& path, const std::string& config_json) {
  if (absl::Status made = MakeRunDirectory(path); !made.ok()) return made;
  if (PathExists(JoinPath(path, kConfigFileName))) return absl::OkStatus();
  return WriteConfig(path, config_json);
}

}  // namespace strobe
