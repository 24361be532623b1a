#include "worker/output/metrics_file.h"

#include <cstdlib>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

// A cursor over one line; each Read* consumes what it read and fails without consuming on a mismatch.
class Cursor {
 public:
  explicit Cursor(const std::string& text) : text_(text) {}

  void SkipSpace() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t')) ++at_;
  }
  bool Take(char c) {
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  bool TakeWord(const std::string& word) {
    SkipSpace();
    if (text_.compare(at_, word.size(), word) != 0) return false;
    at_ += word.size();
    return true;
  }
  bool ReadString(std::string& out) {
    if (!Take('"')) return false;
    out.clear();
    while (at_ < text_.size() && text_[at_] != '"') {
      if (text_[at_] == '\\') {
        if (++at_ >= text_.size()) return false;
        const char escaped = text_[at_];
        if (escaped == 'u') {  // \u00XX: the control characters JsonQuote escapes
          if (at_ + 4 >= text_.size()) return false;
          out += static_cast<char>(std::strtol(text_.substr(at_ + 1, 4).c_str(), nullptr, 16));
          at_ += 4;
        } else {
          out += escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped == 'r' ? '\r' : escaped;
        }
      } else {
        out += text_[at_];
      }
      ++at_;
    }
    return Take('"');
  }
  bool ReadNumber(double& out) {
    SkipSpace();
    const char* start = text_.c_str() + at_;
    char* end = nullptr;
    out = std::strtod(start, &end);
    if (end == start) return false;
    at_ += static_cast<size_t>(end - start);
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return at_ == text_.size();
  }
  size_t position() const { return at_; }

 private:
  const std::string& text_;
  size_t at_ = 0;
};

}  // namespace

std::optional<double> MetricsLine::Get(const std::string& key) const {
  const auto found = numbers.find(key);
  if (found == numbers.end()) return std::nullopt;
  return found->second;
}

absl::StatusOr<MetricsLine> ParseMetricsLine(const std::string& line) {
  Cursor cursor(line);
  MetricsLine parsed;
  const auto error = [&](const char* what) {
    return absl::InvalidArgumentError(absl::StrFormat("%s at column %d", what, cursor.position() + 1));
  };
  if (!cursor.Take('{')) return error("expected '{'");
  bool first = true;
  while (!cursor.Take('}')) {
    if (!first && !cursor.Take(',')) return error("expected ',' or '}'");
    first = false;
    std::string key;
    if (!cursor.ReadString(key)) return error("expected a quoted key");
    if (!cursor.Take(':')) return error("expected ':'");
    std::string text;
    double number = 0.0;
    if (cursor.ReadString(text)) {
      if (key == "kind") parsed.kind = text;
    } else if (cursor.TakeWord("true")) {
      parsed.numbers[key] = 1.0;
    } else if (cursor.TakeWord("false")) {
      parsed.numbers[key] = 0.0;
    } else if (cursor.TakeWord("null")) {
      // a non-finite number: absent
    } else if (cursor.ReadNumber(number)) {
      parsed.numbers[key] = number;
    } else {
      return error("expected a value");
    }
  }
  if (!cursor.AtEnd()) return error("text after the object");
  return parsed;
}

absl::StatusOr<std::vector<MetricsLine>> ReadMetricsFile(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFile(path);
  if (!contents.ok()) return contents.status();
  std::vector<std::string> lines = absl::StrSplit(*contents, '\n');
  lines.pop_back();  // after the last newline: empty, or a line still being written
  std::vector<MetricsLine> parsed;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    absl::StatusOr<MetricsLine> line = ParseMetricsLine(lines[i]);
    if (!line.ok()) {
      return absl::DataLossError(absl::StrFormat("%s line %d: %s", path, i + 1, line.status().message()));
    }
    parsed.push_back(*std::move(line));
  }
  return parsed;
}

}  // namespace strobe
