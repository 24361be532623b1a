// Applies one of Strobe's optimizers to parameters and gradients given by a Python script, for comparing with
// torch.optim in Python (tests/e2e/optimizer_reference.py).
// Usage: optimizer_replay OPTIMIZER INPUT OUTPUT [--weight_decay=..] [--momentum=..] [--nesterov=0|1]
//                         [--opt_beta1=..] [--opt_beta2=..] [--opt_eps=..] [--lars_trust_coefficient=..]
//   INPUT: a dict saved with torch.save: "param/NAME" (the starting values), "grad/STEP/NAME" (each step's averaged
//   gradient) and "lr" (one LR per step); OUTPUT: the parameters after the last step ("NAME"), for torch.load.
#include <torch/torch.h>

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "worker/checkpoint/pickled_tensors.h"
#include "worker/file_system.h"
#include "worker/optimizer.h"

namespace {

// The parameters of the input, registered under their names (which must not contain dots).
class Parameters : public strobe::Classifier {
 public:
  explicit Parameters(const strobe::NamedTensors& initial) {
    for (const auto& [name, value] : initial) register_parameter(name, value.clone());
  }
  torch::Tensor forward(torch::Tensor images) override { return images; }
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "optimizer_replay: %s\n", message.c_str());
  return 1;
}

// --NAME=VALUE options onto the optimizer's settings.
bool SetOption(const std::string& argument, strobe::OptimizerOptions& options) {
  const size_t equals = argument.find('=');
  if (!absl::StartsWith(argument, "--") || equals == std::string::npos) return false;
  const std::string name = argument.substr(2, equals - 2);
  double value = 0;
  if (!absl::SimpleAtod(argument.substr(equals + 1), &value)) return false;
  const std::map<std::string, double*> fields = {
      {"weight_decay", &options.weight_decay}, {"momentum", &options.momentum}, {"opt_beta1", &options.opt_beta1},
      {"opt_beta2", &options.opt_beta2},       {"opt_eps", &options.opt_eps},
      {"lars_trust_coefficient", &options.lars_trust_coefficient}};
  if (name == "nesterov") {
    options.nesterov = value != 0;
    return true;
  }
  const auto field = fields.find(name);
  if (field == fields.end()) return false;
  *field->second = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return Fail("usage: optimizer_replay OPTIMIZER INPUT OUTPUT [--setting=value...]");
  strobe::OptimizerOptions options;
  absl::StatusOr<strobe::OptimizerKind> kind = strobe::OptimizerOptions::ParseOptimizer(argv[1]);
  if (!kind.ok()) return Fail(std::string(kind.status().message()));
  options.optimizer = *kind;
  for (int i = 4; i < argc; ++i) {
    if (!SetOption(argv[i], options)) return Fail(absl::StrCat("bad option ", argv[i]));
  }
  absl::StatusOr<std::string> bytes = strobe::ReadFile(argv[2]);
  if (!bytes.ok()) return Fail(std::string(bytes.status().message()));
  absl::StatusOr<c10::impl::GenericDict> dict = strobe::UnpickleDict(*bytes, argv[2]);
  if (!dict.ok()) return Fail(std::string(dict.status().message()));
  absl::StatusOr<strobe::NamedTensors> tensors = strobe::TensorsFrom(*dict, argv[2]);
  if (!tensors.ok()) return Fail(std::string(tensors.status().message()));
  strobe::NamedTensors initial;
  std::map<std::string, at::Tensor> by_name;
  for (const auto& [name, tensor] : *tensors) {
    by_name[name] = tensor;
    if (absl::StartsWith(name, "param/")) initial.emplace_back(name.substr(6), tensor);
  }
  Parameters model(initial);
  std::unique_ptr<strobe::Optimizer> optimizer = strobe::MakeOptimizer(model, options);
  const at::Tensor lrs = by_name.at("lr").to(at::kDouble);
  for (int64_t step = 0; step < lrs.numel(); ++step) {
    for (auto& named : model.named_parameters()) {
      named.value().mutable_grad() = by_name.at(absl::StrCat("grad/", step, "/", named.key())).clone();
    }
    optimizer->Step(lrs[step].item<double>());
  }
  strobe::NamedTensors result = strobe::Named(model.named_parameters());
  if (absl::Status written = strobe::WriteFileAtomically(argv[3], strobe::Pickle(strobe::TensorDict(result)));
      !written.ok()) {
    return Fail(std::string(written.message()));
  }
  return 0;
}
