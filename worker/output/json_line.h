#ifndef STROBE_WORKER_OUTPUT_JSON_LINE_H_
#define STROBE_WORKER_OUTPUT_JSON_LINE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace strobe {

// Builds one flat JSON object, keys in insertion order: enough for metrics lines and the resolved configuration.
class JsonLine {
 public:
  JsonLine& Add(std::string_view key, std::string_view value);
  JsonLine& Add(std::string_view key, const char* value) { return Add(key, std::string_view(value)); }
  JsonLine& Add(std::string_view key, double value);
  JsonLine& Add(std::string_view key, int64_t value);
  JsonLine& Add(std::string_view key, int value) { return Add(key, static_cast<int64_t>(value)); }
  JsonLine& Add(std::string_view key, bool value);
  // A number with a fixed count of decimals (%.9g would round a time in seconds since the epoch to 10 s).
  JsonLine& AddFixed(std::string_view key, double value, int decimals);
  // "time" (seconds since the epoch, in ms) and "elapsed_s" (seconds since `start`): every metrics.jsonl line ends so.
  JsonLine& AddTimes(std::chrono::steady_clock::time_point start);

  // A value that is already JSON (an array, an object).
  JsonLine& AddJson(std::string_view key, std::string_view json_value);

  std::string str() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

std::string JsonQuote(std::string_view text);

}  // namespace strobe

#endif  // STROBE_WORKER_OUTPUT_JSON_LINE_H_
