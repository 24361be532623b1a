// Strobe's evaluation-mode logits on a given batch, for comparing with PyTorch in the torchvision interchange and
// TorchScript tests.
// Usage: model_logits MODEL IN_CHANNELS CLASSES WEIGHTS INPUT OUTPUT   (a built-in model)
//        model_logits CHECKPOINT INPUT OUTPUT                          (a TorchScript model's checkpoint, as
//                                                                       `strobe eval` loads it)
//   WEIGHTS: a state_dict file as --init_weights reads it (a checkpoint's model.pt, an export, torchvision's);
//   INPUT: a float tensor [N, IN_CHANNELS, H, W] saved with torch.save; OUTPUT: the logits, for torch.load.
#include <torch/serialize.h>
#include <torch/torch.h>

#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "app/checkpoint_model.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/checkpoint/pickled_tensors.h"
#include "worker/file_system.h"
#include "worker/models/initial_weights.h"
#include "worker/models/model_zoo.h"

namespace {

int Logits(strobe::Classifier& model, const std::string& input_path, const std::string& output_path) {
  absl::StatusOr<std::string> input = strobe::ReadFile(input_path);
  if (!input.ok()) {
    std::fprintf(stderr, "model_logits: %s\n", std::string(input.status().message()).c_str());
    return 1;
  }
  const at::Tensor images = torch::pickle_load(std::vector<char>(input->begin(), input->end())).toTensor();
  model.eval();
  torch::NoGradGuard no_grad;
  const at::Tensor logits = model.forward(images);
  return strobe::WriteFileAtomically(output_path, strobe::Pickle(logits)).ok() ? 0 : 1;
}

int CheckpointLogits(const std::string& checkpoint_path, const std::string& input, const std::string& output) {
  absl::StatusOr<strobe::VerifiedCheckpoint> checkpoint = strobe::VerifyCheckpoint(checkpoint_path);
  absl::StatusOr<std::shared_ptr<strobe::Classifier>> model =
      checkpoint.ok() ? strobe::LoadCheckpointModel(*checkpoint, 0, 0, "", false) : checkpoint.status();
  if (!model.ok()) {
    std::fprintf(stderr, "model_logits: %s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  return Logits(**model, input, output);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4) return CheckpointLogits(argv[1], argv[2], argv[3]);
  int64_t in_channels = 0, classes = 0;
  if (argc != 7 || !absl::SimpleAtoi(argv[2], &in_channels) || !absl::SimpleAtoi(argv[3], &classes)) {
    std::fprintf(stderr, "usage: model_logits MODEL IN_CHANNELS CLASSES WEIGHTS INPUT OUTPUT\n");
    return 2;
  }
  const std::string name = argv[1];
  absl::StatusOr<strobe::ResNetSpec> spec = strobe::ModelSpec(name, in_channels, classes);
  absl::StatusOr<std::shared_ptr<strobe::Classifier>> model = strobe::MakeModel(name, in_channels, classes);
  if (!spec.ok() || !model.ok()) {
    std::fprintf(stderr, "model_logits: %s\n", std::string(model.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<strobe::InitialWeights> loaded = strobe::LoadInitialWeights(**model, name, *spec, argv[4], {});
  if (!loaded.ok()) {
    std::fprintf(stderr, "model_logits: %s\n", std::string(loaded.status().message()).c_str());
    return 1;
  }
  return Logits(**model, argv[5], argv[6]);
}
