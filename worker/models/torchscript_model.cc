#include "worker/models/torchscript_model.h"

#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/serialization/import.h>

#include <sstream>
#include <stdexcept>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "worker/checkpoint/manifest.h"
#include "worker/checkpoint/pickled_tensors.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

constexpr char kHowToScript[] =
    "save a TorchScript module in Python instead: torch.jit.script(model).save(PATH) "
    "(deploy/models/script_model.py does it for torchvision models)";

// nn::Module names may not contain dots, so the module's tree is mirrored: one (empty) nn::Module per submodule,
// holding that submodule's own parameters and buffers. named_parameters() then yields the module's dotted names.
void MirrorInto(torch::nn::Module& mirror, const torch::jit::Module& module) {
  for (const auto& parameter : module.named_parameters(/*recurse=*/false)) {
    mirror.register_parameter(parameter.name, parameter.value, parameter.value.requires_grad());
  }
  for (const auto& buffer : module.named_buffers(/*recurse=*/false)) {
    mirror.register_buffer(buffer.name, buffer.value);
  }
  for (const auto& child : module.named_children()) {
    MirrorInto(*mirror.register_module(child.name, std::make_shared<torch::nn::Module>(child.name)), child.value);
  }
}

std::string FirstLine(const std::string& text) {
  return std::string(*absl::StrSplit(text, '\n').begin());
}

// Why `bytes` did not load as TorchScript, in the user's terms.
std::string WhyNotTorchScript(const std::string& bytes, const std::string& load_error) {
  if (UnpickleDict(bytes, "").ok()) return "it holds a dict of tensors (a state_dict saved with torch.save)";
  if (absl::StartsWith(bytes, "PK") && !absl::StrContains(bytes, "/code/")) {
    return "it is a torch.save archive without TorchScript code (a pickled model or tensors)";
  }
  return FirstLine(load_error);
}

}  // namespace

TorchScriptClassifier::TorchScriptClassifier(torch::jit::Module module, std::string path, uint32_t file_crc32)
    : module_(std::move(module)), path_(std::move(path)), file_crc32_(file_crc32) {
  MirrorInto(*this, module_);
}

std::shared_ptr<torch::jit::Graph> TorchScriptClassifier::InlinedForwardGraph() const {
  std::shared_ptr<torch::jit::Graph> graph =
      torch::jit::toGraphFunction(module_.get_method("forward").function()).graph()->copy();
  torch::jit::Inline(*graph);
  return graph;
}

void TorchScriptClassifier::RunForwardAs(std::shared_ptr<torch::jit::Graph> graph) {
  forward_ = std::make_shared<torch::jit::GraphFunction>("forward", std::move(graph), nullptr);
}

torch::Tensor TorchScriptClassifier::forward(torch::Tensor images) {
  // In evaluation the module's own forward: a batch_norm that uses batch statistics there (track_running_stats=False,
  // or a model traced in training mode) normalises each rank's batch alone, as torch.nn.SyncBatchNorm does.
  c10::IValue output = forward_ != nullptr && is_training() ? (*forward_)({module_._ivalue(), std::move(images)})
                                                            : module_.forward({std::move(images)});
  if (!output.isTensor()) {
    throw std::runtime_error(absl::StrFormat("--model=%s returns a %s, not a tensor of logits [N, classes]", path_,
                                             output.tagKind()));
  }
  return output.toTensor();
}

void TorchScriptClassifier::train(bool on) {
  torch::nn::Module::train(on);
  module_.train(on);
}

absl::StatusOr<std::shared_ptr<TorchScriptClassifier>> LoadTorchScriptModel(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("--model=%s: %s", path, bytes.status().message()));
  }
  std::istringstream stream(*bytes);
  torch::jit::Module module;
  try {
    module = torch::jit::load(stream, c10::Device(c10::kCPU));
  } catch (const std::exception& error) {
    return absl::InvalidArgumentError(absl::StrFormat("--model=%s is not a TorchScript module: %s; %s", path,
                                                      WhyNotTorchScript(*bytes, error.what()), kHowToScript));
  }
  return std::make_shared<TorchScriptClassifier>(std::move(module), path, Crc32(*bytes));
}

}  // namespace strobe
