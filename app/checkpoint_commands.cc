#include "app/checkpoint_commands.h"

#include <cstdio>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "app/checkpoint_model.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/checkpoint/pickled_tensors.h"
#include "worker/file_system.h"
#include "worker/models/model_options.h"
#include "worker/models/model_zoo.h"
#include "worker/models/torchscript_model.h"
#include "worker/models/torchvision_names.h"
#include "worker/training_state.h"

ABSL_FLAG(std::string, format, "auto",
          "export: torchscript (a TorchScript file for torch.jit.load; TorchScript models only) or state_dict (for "
          "torch.load and load_state_dict); auto: torchscript for a TorchScript model's checkpoint, else state_dict.");

namespace strobe {
namespace {

constexpr char kModelFile[] = "model.pt";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "strobe: error: %s\n", std::string(status.message()).c_str());
  return 1;
}

// "N tensors, M values".
std::string DescribeTensors(const NamedTensors& tensors) {
  int64_t values = 0;
  for (const auto& [name, tensor] : tensors) values += tensor.numel();
  return absl::StrFormat("%d tensors, %d values", tensors.size(), values);
}

// The same for a verified model.pt, or why it cannot be decoded.
std::string DescribeModel(const std::string& bytes, const std::string& what) {
  absl::StatusOr<c10::impl::GenericDict> dict = UnpickleDict(bytes, what);
  if (!dict.ok()) return std::string(dict.status().message());
  absl::StatusOr<NamedTensors> tensors = TensorsFrom(*dict, what);
  return tensors.ok() ? DescribeTensors(*tensors) : std::string(tensors.status().message());
}

// The checkpoint's model tensors (with `ema`, its parameters' moving average in place of the parameters) under the
// names Python users load them by: torchvision's (and timm's) for the ResNets that have its architecture (`spec`),
// Strobe's own for the others, a TorchScript module's own (no spec).
absl::StatusOr<NamedTensors> ExportedTensors(const VerifiedCheckpoint& checkpoint, const ResNetSpec* spec,
                                             const std::string& model_bytes, bool ema) {
  const std::string what = absl::StrFormat("checkpoint %s: %s", checkpoint.path, kModelFile);
  absl::StatusOr<c10::impl::GenericDict> dict = UnpickleDict(model_bytes, what);
  if (!dict.ok()) return dict.status();
  absl::StatusOr<NamedTensors> tensors = TensorsFrom(*dict, what);
  if (tensors.ok() && ema) {
    if (absl::Status used = UseEmaWeights(checkpoint, *tensors); !used.ok()) return used;
  }
  if (!tensors.ok() || spec == nullptr || !HasTorchvisionNames(*spec)) return tensors;
  for (auto& [name, tensor] : *tensors) {
    absl::StatusOr<std::string> renamed = TorchvisionName(*spec, name);
    if (!renamed.ok()) return absl::DataLossError(absl::StrFormat("%s: %s", what, renamed.status().message()));
    name = *renamed;
  }
  return tensors;
}

}  // namespace

int RunInspectCommand(const std::string& checkpoint_path) {
  absl::StatusOr<VerifiedCheckpoint> checkpoint = OpenCheckpoint(checkpoint_path);
  if (!checkpoint.ok()) return Fail(checkpoint.status());
  std::printf("checkpoint %s (format version %d)\n", checkpoint->path.c_str(), checkpoint->manifest.format_version());
  std::string config;
  for (const auto& [key, value] : checkpoint->manifest.metadata()) {
    if (key == "config") {
      config = value;
    } else {
      std::printf("  %-28s %s\n", key.c_str(), value.c_str());
    }
  }
  std::printf("files:\n");
  int problems = 0;
  for (const ManifestFile& file : checkpoint->manifest.files()) {
    absl::StatusOr<std::string> contents = ReadCheckpointFile(*checkpoint, file.name);
    std::string verdict = contents.ok() ? "ok" : std::string(contents.status().message());
    if (contents.ok() && file.name == kModelFile) {
      verdict += " (" + DescribeModel(*contents, absl::StrCat("checkpoint ", checkpoint->path, ": ", file.name)) + ")";
    }
    problems += contents.ok() ? 0 : 1;
    std::printf("  %-16s %12lld bytes  crc32 %08x  %s\n", file.name.c_str(), static_cast<long long>(file.size),
                file.crc32, verdict.c_str());
  }
  if (!config.empty()) std::printf("config %s\n", config.c_str());
  if (problems > 0) {
    std::fprintf(stderr, "strobe: error: checkpoint %s is invalid: %d file(s) fail their checks\n",
                 checkpoint->path.c_str(), problems);
    return 1;
  }
  if (absl::Status finite = CheckCheckpointFinite(*checkpoint); !finite.ok()) {
    std::fprintf(stderr, "strobe: error: %s: a diverged run's state, which cannot be resumed\n",
                 std::string(finite.message()).c_str());
    return 1;
  }
  std::printf("valid: every file matches its checksum, and the weights and momentum are finite\n");
  return 0;
}

namespace {

// The state_dict export: built-in ResNets with torchvision's names where they have its architecture, TorchScript
// models with their own.
int ExportStateDict(const VerifiedCheckpoint& checkpoint, const std::string& output_path) {
  absl::StatusOr<std::string> model = ReadCheckpointFile(checkpoint, kModelFile);
  if (!model.ok()) return Fail(model.status());
  const std::string model_name = checkpoint.manifest.Get("model");
  const bool scripted = IsTorchScriptPath(model_name);
  absl::StatusOr<ResNetSpec> spec = scripted ? ResNetSpec{} : ModelSpec(model_name, 1, 1);  // names: any sizes
  if (!spec.ok()) {
    return Fail(absl::DataLossError(absl::StrCat("checkpoint ", checkpoint.path, ": ", spec.status().message())));
  }
  absl::StatusOr<NamedTensors> tensors = ExportedTensors(checkpoint, scripted ? nullptr : &*spec, *model, EmaFlag());
  if (!tensors.ok()) return Fail(tensors.status());
  if (absl::Status written = WriteFileAtomically(output_path, Pickle(TensorDict(*tensors))); !written.ok()) {
    return Fail(written);
  }
  const bool torchvision = !scripted && HasTorchvisionNames(*spec);
  const std::string python_model = scripted      ? std::string("model")
                                   : torchvision ? absl::StrFormat("torchvision.models.%s(num_classes=N)", model_name)
                                                 : absl::StrFormat("strobe_resnet.%s(in_channels, num_classes)", model_name);
  const std::string where = scripted      ? " on the nn.Module you scripted"
                            : torchvision ? ""
                                          : " with deploy/models/strobe_resnet.py";
  std::printf("strobe: wrote %s (%s%s) from %s with %s names; in Python: %s.load_state_dict(torch.load('%s'))%s\n",
              output_path.c_str(), DescribeTensors(*tensors).c_str(), EmaFlag() ? ", the EMA of the weights" : "",
              checkpoint.path.c_str(),
              scripted ? "the module's" : torchvision ? "torchvision's" : "Strobe's", python_model.c_str(),
              output_path.c_str(), where.c_str());
  return 0;
}

// The TorchScript export: the module the run trained (or --model=PATH.pt, the same architecture) with the
// checkpoint's weights, in eval mode, saved as a TorchScript file.
int ExportTorchScript(const VerifiedCheckpoint& checkpoint, const std::string& output_path) {
  const std::string model_name = checkpoint.manifest.Get("model");
  if (!IsTorchScriptPath(model_name)) {
    return Fail(absl::InvalidArgumentError(
        absl::StrFormat("--format=torchscript: checkpoint %s holds the built-in %s, which is not a TorchScript "
                        "module: export it with --format=state_dict",
                        checkpoint.path, model_name)));
  }
  absl::StatusOr<std::shared_ptr<Classifier>> model =
      LoadCheckpointModel(checkpoint, 0, 0, TorchScriptModelFlag(), EmaFlag());
  if (!model.ok()) return Fail(model.status());
  auto& scripted = dynamic_cast<TorchScriptClassifier&>(**model);
  scripted.eval();
  std::ostringstream bytes;
  scripted.module().save(bytes);
  if (absl::Status written = WriteFileAtomically(output_path, bytes.str()); !written.ok()) return Fail(written);
  std::printf("strobe: wrote %s (TorchScript, %s%s) from %s; in Python: model = torch.jit.load('%s')\n",
              output_path.c_str(), DescribeTensors(Named(scripted.named_parameters())).c_str(),
              EmaFlag() ? ", the EMA of the weights" : "",
              checkpoint.path.c_str(), output_path.c_str());
  return 0;
}

}  // namespace

int RunExportCommand(const std::string& checkpoint_path, const std::string& output_path) {
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "auto" && format != "torchscript" && format != "state_dict") {
    return Fail(absl::InvalidArgumentError(
        absl::StrFormat("--format=%s is not one of auto, torchscript, state_dict", format)));
  }
  if (absl::Status nothing = CheckNothingAt(output_path); !nothing.ok()) return Fail(nothing);
  absl::StatusOr<VerifiedCheckpoint> checkpoint = VerifyCheckpoint(checkpoint_path);
  if (!checkpoint.ok()) return Fail(checkpoint.status());
  const bool torchscript =
      format == "torchscript" || (format == "auto" && IsTorchScriptPath(checkpoint->manifest.Get("model")));
  return torchscript ? ExportTorchScript(*checkpoint, output_path) : ExportStateDict(*checkpoint, output_path);
}

}  // namespace strobe
