#ifndef STROBE_WORKER_WALL_CLOCK_H_
#define STROBE_WORKER_WALL_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace strobe {

// Wall-clock stamps for what people and other hosts read (manifests, lock and heartbeat files); durations inside
// one process use std::chrono::steady_clock instead.

// "2026-12-05T07:20:00Z"
inline std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

inline int64_t UnixMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline double UnixSecondsNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace strobe

#endif  // STROBE_WORKER_WALL_CLOCK_H_
