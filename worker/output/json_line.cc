#include "worker/output/json_line.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "worker/wall_clock.h"

namespace strobe {

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

JsonLine& JsonLine::AddJson(std::string_view key, std::string_view json_value) {
  if (!body_.empty()) body_ += ",";
  body_ += JsonQuote(key);
  body_ += ":";
  body_ += json_value;
  return *this;
}

JsonLine& JsonLine::Add(std::string_view key, std::string_view value) {
  AddJson(key, JsonQuote(value));
  return *this;
}

JsonLine& JsonLine::Add(std::string_view key, double value) {
  // JSON has no NaN or infinity; null keeps the line parseable and the problem visible.
  AddJson(key, std::isfinite(value) ? absl::StrFormat("%.9g", value) : "null");
  return *this;
}

JsonLine& JsonLine::AddFixed(std::string_view key, double value, int decimals) {
  AddJson(key, std::isfinite(value) ? absl::StrFormat("%.*f", decimals, value) : "null");
  return *this;
}

JsonLine& JsonLine::AddTimes(std::chrono::steady_clock::time_point start) {
  return AddFixed("time", UnixSecondsNow(), 3)
      .AddFixed("elapsed_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 3);
}

JsonLine& JsonLine::Add(std::string_view key, int64_t value) {
  AddJson(key, absl::StrFormat("%d", value));
  return *this;
}

JsonLine& JsonLine::Add(std::string_view key, bool value) {
  AddJson(key, value ? "true" : "false");
  return *this;
}

}  // namespace strobe
