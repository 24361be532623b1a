#include "app/checkpoint_model.h"

#include <torch/torch.h>

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_format.h"
#include "worker/models/model_options.h"
#include "worker/models/model_zoo.h"
#include "worker/training_state.h"

ABSL_FLAG(bool, ema, false,
          "export and eval: the checkpoint's moving average of the weights (a run with --ema_decay) instead of the "
          "trained weights.");

namespace strobe {

absl::Status UseEmaWeights(const VerifiedCheckpoint& checkpoint,
                           std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  if (!HoldsEma(checkpoint)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "--ema: checkpoint %s holds no moving average of the weights (its run had --ema_decay=0)", checkpoint.path));
  }
  absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> averages = ReadEma(checkpoint);
  if (!averages.ok()) return averages.status();
  for (const auto& [name, average] : *averages) {
    auto found = std::find_if(tensors.begin(), tensors.end(), [&](const auto& named) { return named.first == name; });
    if (found == tensors.end() || !found->second.sizes().equals(average.sizes())) {
      return absl::DataLossError(
          absl::StrFormat("checkpoint %s: ema.pt's '%s' matches no parameter of model.pt", checkpoint.path, name));
    }
    found->second = average;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Classifier>> LoadCheckpointModel(const VerifiedCheckpoint& checkpoint,
                                                                int64_t in_channels, int64_t num_classes,
                                                                const std::string& module_file, bool ema) {
  const std::string trained = checkpoint.manifest.Get("model");
  const bool scripted = IsTorchScriptPath(trained);
  const std::string architecture = scripted && IsTorchScriptPath(module_file) ? module_file : trained;
  absl::StatusOr<std::shared_ptr<Classifier>> model = MakeModel(architecture, in_channels, num_classes);
  if (!model.ok()) {
    return absl::Status(model.status().code(),
                        absl::StrFormat("checkpoint %s was trained with --model=%s: %s%s", checkpoint.path, trained,
                                        model.status().message(),
                                        scripted ? " (name the TorchScript file with --model=PATH.pt)" : ""));
  }
  if (absl::Status loaded = LoadCheckpointWeights(checkpoint, **model); !loaded.ok()) return loaded;
  if (!ema) return model;
  std::vector<std::pair<std::string, at::Tensor>> parameters;
  for (const auto& parameter : (*model)->named_parameters()) parameters.emplace_back(parameter.key(), parameter.value());
  std::vector<std::pair<std::string, at::Tensor>> averaged = parameters;
  if (absl::Status used = UseEmaWeights(checkpoint, averaged); !used.ok()) return used;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters.size(); ++i) parameters[i].second.copy_(averaged[i].second);
  return model;
}

bool EmaFlag() { return absl::GetFlag(FLAGS_ema); }

std::string TorchScriptModelFlag() {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag("model");
  const std::string value = flag != nullptr ? flag->CurrentValue() : "";
  return IsTorchScriptPath(value) ? value : "";
}

}  // namespace strobe
