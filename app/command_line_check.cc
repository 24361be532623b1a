#include "app/command_line_check.h"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strobe {
namespace {

absl::Status CheckFlagFiles(absl::string_view files) {
  for (absl::string_view file : absl::StrSplit(files, ',', absl::SkipEmpty())) {
    const std::string path(file);
    if (::access(path.c_str(), R_OK) != 0) {
      return absl::NotFoundError(absl::StrFormat("--flagfile=%s cannot be read: no such file or no permission", path));
    }
  }
  return absl::OkStatus();
}

// Abseil's own usage flags (--help, --helpfull, ...) are not in its flag registry: absl::ParseCommandLine
// recognises them by name, prints and exits.
bool IsAbseilUsageFlag(const std::string& name) {
  for (const char* usage : {"help", "helpfull", "helpshort", "helppackage", "helpon", "helpmatch", "version",
                            "only_check_args"}) {
    if (name == usage) return true;
  }
  return false;
}

// The flags named by --undefok=a,b: Abseil ignores them when unknown, and so does the check.
std::vector<std::string> UndefinedOk(int argc, char** argv) {
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--undefok=") || absl::ConsumePrefix(&arg, "-undefok=")) {
      for (absl::string_view name : absl::StrSplit(arg, ',', absl::SkipEmpty())) names.emplace_back(name);
    }
  }
  return names;
}

}  // namespace

absl::Status CheckCommandLine(int argc, char** argv) {
  const std::vector<std::string> undefined_ok = UndefinedOk(argc, argv);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;  // the rest are operands
    if (arg.size() < 2 || arg[0] != '-') continue;
    arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
    const size_t equals = arg.find('=');
    const std::string name(arg.substr(0, equals));
    const bool has_value = equals != absl::string_view::npos;
    absl::string_view value = has_value ? arg.substr(equals + 1) : absl::string_view();
    if (IsAbseilUsageFlag(name)) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no") && !has_value) {  // --noFLAG sets a boolean to false
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) continue;
    }
    if (flag == nullptr && std::find(undefined_ok.begin(), undefined_ok.end(), name) != undefined_ok.end()) continue;
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrFormat("unknown flag --%s (run 'strobe --helpfull' for every flag)", name));
    }
    if (!has_value && !flag->IsOfType<bool>() && i + 1 < argc) value = argv[++i];  // "--flag value"
    if (name == "flagfile") {
      if (absl::Status readable = CheckFlagFiles(value); !readable.ok()) return readable;
      continue;
    }
    std::string error;
    if ((has_value || !flag->IsOfType<bool>()) && !flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrFormat("--%s=%s: %s", name, value, error));
    }
  }
  return absl::OkStatus();
}

}  // namespace strobe
