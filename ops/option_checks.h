#ifndef STROBE_OPS_OPTION_CHECKS_H_
#define STROBE_OPS_OPTION_CHECKS_H_

// The range checks every module's options Validate() uses, so a flag's error reads the same wherever it is owned:
// "--NAME must be positive, got V", "--NAME=V must lie in [LOW, HIGH)".
#include <cstdint>

#include "absl/status/status.h"

namespace strobe {

absl::Status CheckPositive(const char* flag, int64_t value);
absl::Status CheckNonNegative(const char* flag, int64_t value);
// Finite and >= 0.
absl::Status CheckNonNegative(const char* flag, double value);
// Finite and in [low, high] (or [low, high) when high_open).
absl::Status CheckInRange(const char* flag, double value, double low, double high, bool high_open);
// Finite and in [0, 1].
absl::Status CheckProbability(const char* flag, double value);

// The first failed status of `checks`, or OK.
absl::Status FirstError(std::initializer_list<absl::Status> checks);

}  // namespace strobe

#endif  // STROBE_OPS_OPTION_CHECKS_H_
