#ifndef STROBE_WORKER_OUTPUT_OPTIONS_JSON_H_
#define STROBE_WORKER_OUTPUT_OPTIONS_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "worker/output/json_line.h"

namespace strobe {

// Writes each setting an options struct's Fields() visits into a JsonLine, keyed by its flag's name, so
// config.json reads as the flags that would repeat the run. Enumerations are written by their flag spelling.
class OptionsJsonWriter {
 public:
  explicit OptionsJsonWriter(JsonLine& json) : json_(json) {}

  void operator()(const char* flag, const std::string& value) { json_.Add(flag, value); }
  void operator()(const char* flag, double value) { json_.Add(flag, value); }
  void operator()(const char* flag, bool value) { json_.Add(flag, value); }
  void operator()(const char* flag, int value) { json_.Add(flag, value); }
  void operator()(const char* flag, int64_t value) { json_.Add(flag, value); }
  void operator()(const char* flag, uint64_t value) { json_.Add(flag, static_cast<int64_t>(value)); }
  void operator()(const char* flag, const std::vector<double>& values) { json_.Add(flag, absl::StrJoin(values, ",")); }
  template <typename Enum, typename Parse, typename Name>
  void operator()(const char* flag, Enum value, Parse, Name name) {
    json_.Add(flag, name(value));
  }

 private:
  JsonLine& json_;
};

// Appends every setting of `options` (a struct with a static Fields(self, visit)) to `json`.
template <typename Options>
void AddOptionsJson(const Options& options, JsonLine& json) {
  Options::Fields(options, OptionsJsonWriter(json));
}

}  // namespace strobe

#endif  // STROBE_WORKER_OUTPUT_OPTIONS_JSON_H_
