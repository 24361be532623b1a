#include "app/shared_model.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "absl/strings/str_format.h"
#include "ops/status_agreement.h"
#include "worker/models/model_contract.h"
#include "worker/models/model_zoo.h"
#include "worker/models/torchscript_model.h"

namespace strobe {
namespace {

// Two of the data's images as the model takes them with `draw`'s transforms, normalised.
absl::StatusOr<at::Tensor> SampleImages(SampleSource& data, const BatchDraw& draw) {
  const at::Tensor indices = at::arange(std::min<int64_t>(2, data.size()), at::kLong);
  absl::StatusOr<Batch> batch = data.Fetch(indices, draw);
  if (!batch.ok()) return batch.status();
  return data.Normalize(batch->images);
}

std::string DescribeTorchScriptModel(TorchScriptClassifier& model) {
  int64_t values = 0;
  for (const at::Tensor& parameter : model.parameters()) values += parameter.numel();
  return absl::StrFormat("model %s: TorchScript, %d tensors, %d parameters, %d buffers, CRC-32 %08x on every rank",
                         model.path(), model.parameters().size(), values, model.buffers().size(), model.file_crc32());
}

}  // namespace

absl::Status CheckTakesTheData(Communicator& communicator, Classifier& model, const std::string& name,
                               const TaskOptions& task, SampleSource& data) {
  const std::string why = task.regression() ? "--task=regression predicts one value"
                                            : absl::StrFormat("the data has %d classes", data.num_classes());
  // The evaluation's images, and epoch 0's training images where they have another size (the smallest of an
  // --image_size_schedule): a model without global pooling takes only one size, and should fail here, not at its
  // first step.
  absl::Status local = absl::OkStatus();
  std::vector<int64_t> checked_sizes;
  for (const BatchDraw& draw : {BatchDraw{}, BatchDraw{0, 0, /*augment=*/true}}) {
    absl::StatusOr<at::Tensor> images = SampleImages(data, draw);
    if (!images.ok()) {
      local = images.status();
      break;
    }
    if (images->sizes().vec() == checked_sizes) continue;
    checked_sizes = images->sizes().vec();
    local = CheckModelContract(model, name, *images, task.ModelOutputs(data.num_classes()), why);
    if (!local.ok()) break;
  }
  return AgreeOnStatus(communicator, local);
}

absl::Status CheckSameFileEverywhere(Communicator& communicator, const std::string& model, uint32_t crc32) {
  const auto differs = FirstRankThatDiffers(communicator, crc32);
  if (!differs.has_value()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrFormat("--model=%s: rank %d read a file with CRC-32 %08x, rank 0 one with %08x: the file differs "
                      "between hosts",
                      model, differs->rank, differs->value, differs->rank0_value));
}

absl::StatusOr<std::shared_ptr<Classifier>> MakeSharedModel(Communicator& communicator, const ModelOptions& options,
                                                            const TaskOptions& task, SampleSource& data, bool report) {
  const int64_t outputs = task.ModelOutputs(data.num_classes());
  absl::StatusOr<std::shared_ptr<Classifier>> model = MakeModel(options.name, data.channels(), outputs);
  if (absl::Status agreed = AgreeOnStatus(communicator, model.status()); !agreed.ok()) return agreed;
  if (absl::Status takes = CheckTakesTheData(communicator, **model, options.name, task, data); !takes.ok()) {
    return takes;
  }
  if (auto* scripted = dynamic_cast<TorchScriptClassifier*>(model->get()); scripted != nullptr) {
    if (absl::Status same = CheckSameFileEverywhere(communicator, scripted->path(), scripted->file_crc32()); !same.ok()) return same;
    if (report) std::printf("strobe: %s\n", DescribeTorchScriptModel(*scripted).c_str());
  }
  return model;
}

}  // namespace strobe
