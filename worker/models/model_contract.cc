#include "worker/models/model_contract.h"

#include <torch/torch.h>

#include <exception>
#include <optional>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace strobe {
namespace {

std::string Shape(at::IntArrayRef sizes) { return absl::StrFormat("[%s]", absl::StrJoin(sizes, ", ")); }

// The first convolution's weight [out, in, kh, kw]: the channels the model takes (groups aside).
std::optional<std::pair<std::string, int64_t>> FirstConvolutionInputs(Classifier& model) {
  for (const auto& parameter : model.named_parameters()) {
    if (parameter.value().dim() == 4) return std::make_pair(parameter.key(), parameter.value().size(1));
  }
  return std::nullopt;
}

absl::Status ForwardFailed(Classifier& model, const std::string& name, const at::Tensor& images,
                           const std::string& error) {
  const auto first_conv = FirstConvolutionInputs(model);
  if (first_conv.has_value() && first_conv->second != images.size(1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--model=%s takes %d-channel images (its first convolution, %s, has %d input channels), but the data's "
        "images have %d channel(s): build the model for %d input channels",
        name, first_conv->second, first_conv->first, first_conv->second, images.size(1), images.size(1)));
  }
  return absl::InvalidArgumentError(absl::StrFormat("--model=%s fails on a batch of the data's images %s: %s", name,
                                                    Shape(images.sizes()),
                                                    std::string(*absl::StrSplit(error, '\n').begin())));
}

}  // namespace

absl::Status CheckModelContract(Classifier& model, const std::string& name, const at::Tensor& images, int64_t outputs,
                                const std::string& why) {
  int64_t trainable = 0;
  for (const at::Tensor& parameter : model.parameters()) trainable += parameter.requires_grad() ? 1 : 0;
  if (trainable == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--model=%s has no trainable parameters (none with requires_grad): there is nothing to train", name));
  }
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  at::Tensor logits;
  try {
    logits = model.forward(images);
  } catch (const std::exception& error) {
    model.train(was_training);
    return ForwardFailed(model, name, images, error.what());
  }
  model.train(was_training);
  if (!at::isFloatingType(logits.scalar_type())) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--model=%s returns %s values; training needs floating-point logits", name, c10::toString(logits.scalar_type())));
  }
  const int64_t batch = images.size(0);
  if (logits.dim() != 2 || logits.size(0) != batch || logits.size(1) != outputs) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--model=%s returns shape %s for a batch of %d images; %s, so it must return [%d, %d] (build it with "
        "num_classes=%d)",
        name, Shape(logits.sizes()), batch, why, batch, outputs, outputs));
  }
  return absl::OkStatus();
}

}  // namespace strobe
