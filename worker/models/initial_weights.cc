#include "worker/models/initial_weights.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "worker/checkpoint/manifest.h"
#include "worker/checkpoint/pickled_tensors.h"
#include "worker/file_system.h"
#include "worker/models/torchvision_names.h"

namespace strobe {
namespace {

// "a, b, c and 4 more": enough to act on without flooding the terminal.
std::string FirstFew(const std::vector<std::string>& names) {
  constexpr size_t kShown = 6;
  std::vector<std::string> shown(names.begin(), names.begin() + std::min(names.size(), kShown));
  std::string text = absl::StrJoin(shown, ", ");
  if (names.size() > kShown) absl::StrAppend(&text, " and ", names.size() - kShown, " more");
  return text;
}

std::string Describe(const at::Tensor& tensor) {
  return absl::StrCat(std::string(c10::toString(tensor.scalar_type())), c10::str(tensor.sizes()));
}

bool Covers(const std::string& prefix, const std::string& name) {
  return name == prefix || absl::StartsWith(name, prefix + ".");
}

}  // namespace

absl::StatusOr<InitialWeights> LoadInitialWeights(Classifier& model, const std::string& model_name,
                                                  const ResNetSpec& spec, const std::string& path,
                                                  const std::vector<std::string>& exclude) {
  const std::string what = absl::StrCat("--init_weights=", path);
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(), absl::StrCat("--init_weights: ", bytes.status().message()));
  }
  absl::StatusOr<c10::impl::GenericDict> dict = UnpickleDict(*bytes, what);
  if (!dict.ok()) return dict.status();
  absl::StatusOr<NamedTensors> file = TensorsFrom(*dict, what);
  if (!file.ok()) return file.status();
  const std::map<std::string, at::Tensor> in_file(file->begin(), file->end());

  InitialWeights loaded;
  loaded.torchvision_names = HasTorchvisionNames(spec) && in_file.count("conv1.weight") != 0;
  NamedTensors live = Named(model.named_parameters());
  for (auto& buffer : Named(model.named_buffers())) live.push_back(std::move(buffer));
  std::vector<std::string> missing, misshaped;
  std::set<std::string> used;
  std::set<std::string> used_exclusions;
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;  // model's, file's
  for (const auto& [strobe_name, tensor] : live) {
    std::string name = strobe_name;
    if (loaded.torchvision_names) {
      absl::StatusOr<std::string> renamed = TorchvisionName(spec, strobe_name);
      if (!renamed.ok()) return renamed.status();
      name = *renamed;
    }
    const auto exclusion =
        std::find_if(exclude.begin(), exclude.end(), [&](const std::string& prefix) { return Covers(prefix, name); });
    if (exclusion != exclude.end()) {
      used_exclusions.insert(*exclusion);
      loaded.excluded.push_back(name);
      continue;
    }
    const auto found = in_file.find(name);
    if (found == in_file.end()) {
      missing.push_back(name);
      continue;
    }
    used.insert(name);
    if (!found->second.sizes().equals(tensor.sizes()) || found->second.scalar_type() != tensor.scalar_type()) {
      misshaped.push_back(absl::StrFormat("%s (the file's %s, the model's %s)", name, Describe(found->second),
                                          Describe(tensor)));
      continue;
    }
    copies.emplace_back(tensor, found->second);
  }
  std::vector<std::string> unexpected, unused_exclusions;
  for (const auto& [name, tensor] : in_file) {
    const bool excluded =
        std::any_of(exclude.begin(), exclude.end(), [&](const std::string& prefix) { return Covers(prefix, name); });
    if (used.count(name) == 0 && !excluded) unexpected.push_back(name);
  }
  for (const std::string& prefix : exclude) {
    if (used_exclusions.count(prefix) == 0) unused_exclusions.push_back(prefix);
  }

  std::vector<std::string> problems;
  if (!missing.empty()) problems.push_back(absl::StrCat(missing.size(), " missing: ", FirstFew(missing)));
  if (!unexpected.empty()) problems.push_back(absl::StrCat(unexpected.size(), " unexpected: ", FirstFew(unexpected)));
  if (!misshaped.empty()) {
    problems.push_back(absl::StrCat(misshaped.size(), " of another shape or type: ", FirstFew(misshaped)));
  }
  if (!unused_exclusions.empty()) {
    problems.push_back(absl::StrCat("--init_exclude names no tensor of the model: ", FirstFew(unused_exclusions)));
  }
  if (!problems.empty()) {
    const bool classifier_differs = std::any_of(
        misshaped.begin(), misshaped.end(), [](const std::string& entry) { return absl::StartsWith(entry, "fc."); });
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s does not fit --model=%s (read with %s names): %s%s", what, model_name,
        loaded.torchvision_names ? "torchvision's" : "Strobe's", absl::StrJoin(problems, "; "),
        classifier_differs ? " (--init_exclude=fc starts the classifier afresh, for another number of classes)"
                           : ""));
  }

  torch::NoGradGuard no_grad;
  for (auto& [tensor, saved] : copies) {
    tensor.copy_(saved);
    ++loaded.tensors;
    loaded.values += saved.numel();
  }
  for (const std::string& name : used) {  // std::set: in the order of the names
    const at::Tensor bytes_of = in_file.at(name).contiguous();
    loaded.crc32 = Crc32Extend(loaded.crc32, absl::string_view(static_cast<const char*>(bytes_of.data_ptr()),
                                                               bytes_of.numel() * bytes_of.element_size()));
  }
  return loaded;
}

}  // namespace strobe
