#include "worker/output/run_directory.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_format.h"

namespace strobe {

namespace fs = std::filesystem;

absl::Status PrepareRunDirectory(const std::string& path, const std::string& config_json) {
  if (path.empty()) return absl::InvalidArgumentError("--run_dir must not be empty");
  std::error_code error;
  fs::create_directories(path, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrFormat("--run_dir=%s cannot be created: %s", path, error.message()));
  }
  if (!fs::is_directory(path)) return absl::InvalidArgumentError(absl::StrFormat("--run_dir=%s is not a directory", path));
  for (const char* existing : {kConfigFileName, kMetricsFileName}) {
    if (fs::exists(fs::path(path) / existing)) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "--run_dir=%s already holds a run (%s); choose a new directory so nothing is overwritten", path,
          existing));
    }
  }
  const fs::path final_path = fs::path(path) / kConfigFileName;
  const fs::path temp_path = fs::path(path) / (std::string(kConfigFileName) + ".tmp");
  {
    std::ofstream out(temp_path, std::ios::trunc);
    out << config_json << "\n";
    out.flush();
    if (!out) {
      return absl::PermissionDeniedError(absl::StrFormat("--run_dir=%s is not writable: %s", path, std::strerror(errno)));
    }
  }
  fs::rename(temp_path, final_path, error);
  if (error) {
    return absl::PermissionDeniedError(absl::StrFormat("--run_dir=%s: cannot publish %s: %s", path,
                                                       kConfigFileName, error.message()));
  }
  return absl::OkStatus();
}

}  // namespace strobe
