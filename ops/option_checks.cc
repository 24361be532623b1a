#include "ops/option_checks.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace strobe {

absl::Status CheckPositive(const char* flag, int64_t value) {
  if (value > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat("--%s must be positive, got %d", flag, value));
}

absl::Status CheckNonNegative(const char* flag, int64_t value) {
  if (value >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat("--%s must be >= 0, got %d", flag, value));
}

absl::Status CheckNonNegative(const char* flag, double value) {
  if (std::isfinite(value) && value >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat("--%s=%g must be >= 0", flag, value));
}

absl::Status CheckInRange(const char* flag, double value, double low, double high, bool high_open) {
  const bool ok = std::isfinite(value) && value >= low && (high_open ? value < high : value <= high);
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("--%s=%g must lie in [%g, %g%s", flag, value, low, high, high_open ? ")" : "]"));
}

absl::Status CheckProbability(const char* flag, double value) {
  return CheckInRange(flag, value, 0, 1, /*high_open=*/false);
}

absl::Status FirstError(std::initializer_list<absl::Status> checks) {
  for (const absl::Status& status : checks) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace strobe
