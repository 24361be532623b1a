#ifndef STROBE_WORKER_MODELS_TORCHSCRIPT_MODEL_H_
#define STROBE_WORKER_MODELS_TORCHSCRIPT_MODEL_H_

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/models/classifier.h"

namespace strobe {

// A user's model as a TorchScript module (torch.jit.script or torch.jit.trace in Python, then .save(PATH)). Its
// parameters and buffers are registered here under the module's own names ("layer1.0.conv1.weight"), as the very
// same tensors, so the optimizer, the gradient buckets, BatchNorm's running statistics, checkpoints and exports
// work on the module's weights as they do on a built-in model's.
class TorchScriptClassifier : public Classifier {
 public:
  // `path` names the model in messages; `file_crc32` is the CRC-32 of the file it was loaded from.
  TorchScriptClassifier(torch::jit::Module module, std::string path, uint32_t file_crc32);

  // Throws std::runtime_error when the module returns something other than a tensor.
  torch::Tensor forward(torch::Tensor images) override;
  void train(bool on = true) override;

  // The module's forward with every method and function it calls inlined: a copy, to transform.
  std::shared_ptr<torch::jit::Graph> InlinedForwardGraph() const;
  // From now on forward() in training mode runs `graph` (InlinedForwardGraph() transformed) on the module instead
  // of its forward method; the module itself, its code and what it saves are unchanged.
  void RunForwardAs(std::shared_ptr<torch::jit::Graph> graph);

  torch::jit::Module& module() { return module_; }
  const std::string& path() const { return path_; }
  uint32_t file_crc32() const { return file_crc32_; }

 private:
  torch::jit::Module module_;
  std::shared_ptr<torch::jit::GraphFunction> forward_;  // set by RunForwardAs
  std::string path_;
  uint32_t file_crc32_;
};

// Loads a TorchScript file onto the CPU. A file that is not TorchScript (a state_dict saved with torch.save, a
// pickled module, anything else) gives InvalidArgument naming it and saying how to script a model.
absl::StatusOr<std::shared_ptr<TorchScriptClassifier>> LoadTorchScriptModel(const std::string& path);

}  // namespace strobe

#endif  // STROBE_WORKER_MODELS_TORCHSCRIPT_MODEL_H_
