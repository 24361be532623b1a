#include "app/shared_initial_weights.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ops/status_agreement.h"
#include "worker/models/initial_weights.h"
#include "worker/models/model_zoo.h"

namespace strobe {
namespace {

absl::StatusOr<InitialWeights> LoadInitialWeightsOnEveryRank(Communicator& communicator, Classifier& model,
                                                             const ModelOptions& options, int64_t in_channels,
                                                             int64_t num_classes) {
  absl::StatusOr<ResNetSpec> spec = ModelSpec(options.name, in_channels, num_classes);
  absl::StatusOr<InitialWeights> loaded =
      spec.ok() ? LoadInitialWeights(model, options.name, *spec, options.init_weights, options.InitExcludeList())
                : spec.status();
  if (absl::Status agreed = AgreeOnStatus(communicator, loaded.status()); !agreed.ok()) return agreed;
  if (const auto differs = FirstRankThatDiffers(communicator, loaded->crc32); differs.has_value()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "--init_weights=%s: rank %d read tensors with CRC-32 %08x, rank 0 read %08x: the file differs between "
        "hosts",
        options.init_weights, differs->rank, differs->value, differs->rank0_value));
  }
  return loaded;
}

std::string DescribeInitialWeights(const InitialWeights& loaded, const std::string& path) {
  std::string text = absl::StrFormat("initial weights from %s: %d tensors, %d values (%s names), CRC-32 %08x on "
                                     "every rank",
                                     path, loaded.tensors, loaded.values,
                                     loaded.torchvision_names ? "torchvision's" : "Strobe's", loaded.crc32);
  if (!loaded.excluded.empty()) {
    absl::StrAppend(&text, "; kept at their initialisation: ", absl::StrJoin(loaded.excluded, ", "));
  }
  return text;
}

}  // namespace

absl::Status StartFromInitialWeights(Communicator& communicator, Classifier& model, const ModelOptions& options,
                                     int64_t in_channels, int64_t num_classes, bool report) {
  if (options.init_weights.empty()) return absl::OkStatus();
  absl::StatusOr<InitialWeights> loaded =
      LoadInitialWeightsOnEveryRank(communicator, model, options, in_channels, num_classes);
  if (!loaded.ok()) return loaded.status();
  if (report) std::printf("strobe: %s\n", DescribeInitialWeights(*loaded, options.init_weights).c_str());
  return absl::OkStatus();
}

}  // namespace strobe
