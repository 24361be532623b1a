#include "app/checkpoint_model.h"

#include "absl/flags/reflection.h"
#include "absl/strings/str_format.h"
#include "worker/models/model_options.h"
#include "worker/models/model_zoo.h"
#include "worker/training_state.h"

namespace strobe {

absl::StatusOr<std::shared_ptr<Classifier>> LoadCheckpointModel(const VerifiedCheckpoint& checkpoint,
                                                                int64_t in_channels, int64_t num_classes,
                                                                const std::string& module_file) {
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
  return model;
}

std::string TorchScriptModelFlag() {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag("model");
  const std::string value = flag != nullptr ? flag->CurrentValue() : "";
  return IsTorchScriptPath(value) ? value : "";
}

}  // namespace strobe
