#include "worker/models/model_options.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "worker/models/model_zoo.h"

namespace strobe {

absl::Status ModelOptions::Validate() const {
  if (absl::Status known = CheckModelName(name); !known.ok()) return known;
  if (IsTorchScriptPath(name) && !init_weights.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--init_weights=", init_weights, " loads into built-in models; a TorchScript model (--model=", name,
        ") starts from the weights saved in its file: load them in Python before scripting it"));
  }
  if (!init_exclude.empty() && init_weights.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--init_exclude=", init_exclude, " needs --init_weights: there is nothing to exclude from"));
  }
  return absl::OkStatus();
}

bool IsTorchScriptPath(const std::string& model) {
  return absl::EndsWith(model, ".pt") || absl::EndsWith(model, ".pth");
}

std::vector<std::string> ModelOptions::InitExcludeList() const {
  return absl::StrSplit(init_exclude, ',', absl::SkipWhitespace());
}

}  // namespace strobe
