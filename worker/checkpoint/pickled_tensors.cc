#include "worker/checkpoint/pickled_tensors.h"

#include <torch/serialize.h>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace strobe {

NamedTensors Named(const torch::OrderedDict<std::string, at::Tensor>& tensors) {
  NamedTensors named;
  for (const auto& item : tensors) named.emplace_back(item.key(), item.value());
  return named;
}

c10::Dict<std::string, at::Tensor> TensorDict(const NamedTensors& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : tensors) dict.insert(name, tensor.cpu().contiguous());
  return dict;
}

std::string Pickle(const c10::IValue& value) {
  const std::vector<char> bytes = torch::pickle_save(value);
  return std::string(bytes.begin(), bytes.end());
}

absl::StatusOr<c10::impl::GenericDict> UnpickleDict(const std::string& bytes, const std::string& what) {
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error& error) {
    // A pickle (protocol 2, torch.save's) whose first object is a collections.OrderedDict: a module's state_dict().
    // LibTorch's unpickler expects OrderedDicts only as a tensor's (empty) backward hooks, and fails on it.
    constexpr absl::string_view kOrderedDictPickle("\x80\x02" "ccollections\nOrderedDict\n");
    if (absl::StrContains(bytes, kOrderedDictPickle)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s holds an OrderedDict (what torch.save(model.state_dict(), path) writes), which LibTorch cannot "
          "read; save it as a plain dict: torch.save(dict(model.state_dict()), path), or convert the file with "
          "deploy/models/plain_state_dict.py",
          what));
    }
    return absl::DataLossError(absl::StrFormat("%s cannot be decoded: %s", what, error.what_without_backtrace()));
  }
  if (value.isGenericDict()) return value.toGenericDict();
  return absl::DataLossError(absl::StrFormat("%s does not hold a dictionary", what));
}

absl::StatusOr<NamedTensors> TensorsFrom(const c10::impl::GenericDict& dict, const std::string& what) {
  NamedTensors tensors;
  for (const auto& entry : dict) {
    if (!entry.key().isString() || !entry.value().isTensor()) {
      return absl::DataLossError(absl::StrFormat("%s holds an entry that is not a named tensor", what));
    }
    tensors.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  return tensors;
}

}  // namespace strobe
