#ifndef STROBE_WORKER_CHECKPOINT_PICKLED_TENSORS_H_
#define STROBE_WORKER_CHECKPOINT_PICKLED_TENSORS_H_

#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <torch/ordered_dict.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// Tensors by name, in a model's order. As a file (a checkpoint's model.pt and optimizer.pt, `strobe export`'s
// output, `--init_weights`) they are a dict pickled in the format of Python's torch.save, so torch.load reads it.
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

NamedTensors Named(const torch::OrderedDict<std::string, at::Tensor>& tensors);
// Contiguous CPU copies, keyed by name in the given order.
c10::Dict<std::string, at::Tensor> TensorDict(const NamedTensors& tensors);

std::string Pickle(const c10::IValue& value);
// `what` names the bytes' source in errors ("checkpoint X: model.pt").
absl::StatusOr<c10::impl::GenericDict> UnpickleDict(const std::string& bytes, const std::string& what);
absl::StatusOr<NamedTensors> TensorsFrom(const c10::impl::GenericDict& dict, const std::string& what);

}  // namespace strobe

#endif  // STROBE_WORKER_CHECKPOINT_PICKLED_TENSORS_H_
