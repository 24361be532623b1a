#include "worker/models/model_zoo.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "worker/models/model_options.h"
#include "worker/models/torchscript_model.h"

namespace strobe {
namespace {

using SpecFn = std::function<ResNetSpec(int64_t, int64_t)>;

const std::map<std::string, SpecFn>& Registry() {
  static const auto* registry = new std::map<std::string, SpecFn>{
      {"resnet18", ResNet18Spec}, {"resnet20", ResNet20Spec}, {"resnet50", ResNet50Spec}};
  return *registry;
}

}  // namespace

std::vector<std::string> ModelNames() {
  std::vector<std::string> names;
  for (const auto& [name, spec] : Registry()) names.push_back(name);
  return names;
}

absl::Status CheckModelName(const std::string& name) {
  if (Registry().count(name) != 0) return absl::OkStatus();
  if (IsTorchScriptPath(name)) {
    if (access(name.c_str(), R_OK) == 0) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrFormat("--model=%s: cannot read this TorchScript file: %s", name, std::strerror(errno)));
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("--model=%s is not a known model; choose one of: %s, or a TorchScript file (PATH.pt)", name,
                      absl::StrJoin(ModelNames(), ", ")));
}

absl::StatusOr<ResNetSpec> ModelSpec(const std::string& name, int64_t in_channels, int64_t num_classes) {
  if (IsTorchScriptPath(name)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--model=%s is a TorchScript model: its architecture is its file's, not a built-in's", name));
  }
  if (absl::Status known = CheckModelName(name); !known.ok()) return known;
  if (in_channels <= 0 || num_classes <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "model %s needs positive input channels and classes, got %d and %d", name, in_channels, num_classes));
  }
  return Registry().at(name)(in_channels, num_classes);
}

absl::StatusOr<std::shared_ptr<Classifier>> MakeModel(const std::string& name, int64_t in_channels,
                                                      int64_t num_classes) {
  if (IsTorchScriptPath(name)) return LoadTorchScriptModel(name);
  absl::StatusOr<ResNetSpec> spec = ModelSpec(name, in_channels, num_classes);
  if (!spec.ok()) return spec.status();
  return MakeResNet(*spec);
}

}  // namespace strobe
