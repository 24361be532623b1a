#include "worker/models/model_options.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "worker/models/model_zoo.h"

namespace strobe {

absl::Status ModelOptions::Validate() const {
  if (absl::Status known = CheckModelName(name); !known.ok()) return known;
  if (!init_exclude.empty() && init_weights.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--init_exclude=", init_exclude, " needs --init_weights: there is nothing to exclude from"));
  }
  return absl::OkStatus();
}

std::vector<std::string> ModelOptions::InitExcludeList() const {
  return absl::StrSplit(init_exclude, ',', absl::SkipWhitespace());
}

}  // namespace strobe
