#ifndef STROBE_WORKER_OUTPUT_METRICS_FILE_H_
#define STROBE_WORKER_OUTPUT_METRICS_FILE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// One line of metrics.jsonl as the tools that read it back need it: its kind and its numbers by key.
struct MetricsLine {
  std::string kind;
  std::map<std::string, double> numbers;  // null values (a non-finite number) are left out

  std::optional<double> Get(const std::string& key) const;
};

// Parses one flat JSON object as ProgressReporter writes them (string, number, true/false, null values).
absl::StatusOr<MetricsLine> ParseMetricsLine(const std::string& line);

// The lines of a metrics file. A last line without its newline is a report being written (a live run) and is left
// out; any other line that does not parse is an error naming the file and line.
absl::StatusOr<std::vector<MetricsLine>> ReadMetricsFile(const std::string& path);

}  // namespace strobe

#endif  // STROBE_WORKER_OUTPUT_METRICS_FILE_H_
