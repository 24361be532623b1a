#include "coordinator/control_file.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace strobe {

void LrOverride::SaveTo(ControllerState& out) const {
  out.Set("override_kind", static_cast<int64_t>(kind));
  out.Set("override_value", value);
}

bool LrOverride::LoadFrom(const ControllerState& in) {
  int64_t saved_kind = 0;
  if (!in.Get("override_kind", &saved_kind) || !in.Get("override_value", &value)) return false;
  for (Kind known : {Kind::kNone, Kind::kAbsolute, Kind::kScale}) {
    if (saved_kind == static_cast<int64_t>(known)) {
      kind = known;
      return true;
    }
  }
  return false;
}
namespace {

absl::StatusOr<double> PositiveNumber(const std::string& key, const std::string& value, int line) {
  double number = 0;
  if (!absl::SimpleAtod(value, &number) || !std::isfinite(number) || number <= 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("line %d: %s needs a positive number, got '%s'", line, key, value));
  }
  return number;
}

}  // namespace

absl::StatusOr<ControlCommand> ParseControlCommand(const std::string& text) {
  ControlCommand command;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    std::string line(raw.substr(0, raw.find('#')));
    absl::StripAsciiWhitespace(&line);
    if (line.empty()) continue;
    const std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits('=', 1));
    std::string key = parts[0];
    absl::StripAsciiWhitespace(&key);
    if (parts.size() == 1) {
      if (key == "checkpoint") {
        command.checkpoint = true;
      } else if (key == "stop") {
        command.stop = true;
      } else {
        return absl::InvalidArgumentError(absl::StrFormat(
            "line %d: unknown command '%s' (expected lr = X, lr_scale = X, lr = schedule, checkpoint or stop)",
            line_number, key));
      }
      continue;
    }
    std::string value = parts[1];
    absl::StripAsciiWhitespace(&value);
    if (key == "lr" && value == "schedule") {
      command.lr = LrOverride{};
    } else if (key == "lr" || key == "lr_scale") {
      absl::StatusOr<double> number = PositiveNumber(key, value, line_number);
      if (!number.ok()) return number.status();
      command.lr = LrOverride{key == "lr" ? LrOverride::Kind::kAbsolute : LrOverride::Kind::kScale, *number};
    } else {
      return absl::InvalidArgumentError(
          absl::StrFormat("line %d: unknown setting '%s' (expected lr or lr_scale)", line_number, key));
    }
  }
  return command;
}

ControlFileWatcher::ControlFileWatcher(std::string run_dir)
    : run_dir_(std::move(run_dir)), path_(run_dir_ + "/control") {}

std::optional<absl::StatusOr<ControlCommand>> ControlFileWatcher::Poll() {
  struct stat info;
  if (::stat(path_.c_str(), &info) != 0) return std::nullopt;  // the common case: one stat per step
  std::ifstream in(path_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ControlCommand> command =
      in ? ParseControlCommand(text.str())
         : absl::StatusOr<ControlCommand>(absl::UnavailableError("cannot read the file"));
  const std::string consumed = path_ + (command.ok() ? ".applied" : ".rejected");
  if (std::rename(path_.c_str(), consumed.c_str()) != 0) {
    // Never apply a command twice: if it cannot be moved aside, it is not applied at all.
    return absl::StatusOr<ControlCommand>(absl::PermissionDeniedError(
        absl::StrFormat("cannot rename %s to %s, so it was not applied", path_, consumed)));
  }
  if (!command.ok()) {
    return absl::StatusOr<ControlCommand>(absl::InvalidArgumentError(absl::StrFormat(
        "%s: %s; ignored (moved to %s)", path_, command.status().message(), consumed)));
  }
  return command;
}

}  // namespace strobe
