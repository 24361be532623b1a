#include "worker/output/run_directory.h"

#include "absl/strings/str_format.h"
#include "worker/file_system.h"

namespace strobe {

absl::Status PrepareRunDirectory(const std::string& path, const std::string& config_json) {
  if (path.empty()) return absl::InvalidArgumentError("--run_dir must not be empty");
  if (absl::Status made = MakeDirectories(path); !made.ok()) {
    return absl::PermissionDeniedError(absl::StrFormat("--run_dir=%s cannot be created: %s", path, made.message()));
  }
  for (const char* existing : {kConfigFileName, kMetricsFileName}) {
    if (PathExists(JoinPath(path, existing))) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "--run_dir=%s already holds a run (%s); choose a new directory so nothing is overwritten", path,
          existing));
    }
  }
  if (absl::Status written = WriteFileAtomically(JoinPath(path, kConfigFileName), config_json + "\n");
      !written.ok()) {
    return absl::PermissionDeniedError(absl::StrFormat("--run_dir=%s is not writable: %s", path, written.message()));
  }
  return absl::OkStatus();
}

}  // namespace strobe
