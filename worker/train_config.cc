#include "worker/train_config.h"

#include "coordinator/shard_plan.h"
#include "worker/output/options_json.h"

namespace strobe {

absl::Status TrainConfig::Validate(int world_size) const {
  for (const absl::Status& status : {data.Validate(), run.Validate(), model.Validate(), task.Validate(),
                                     optimizer.Validate(), lr.Validate(), mix.Validate(), checkpoint.Validate(),
                                     device.Validate()}) {
    if (!status.ok()) return status;
  }
  if (task.regression() && mix.label_smoothing > 0) {
    return absl::InvalidArgumentError(
        "--label_smoothing applies to classification: --task=regression trains on the label's value");
  }
  if (device.amp == Precision::kFloat16 && lr.adascale) {
    return absl::InvalidArgumentError(
        "--amp=fp16 and --lr_adascale do not go together: AdaScale would measure loss-scaled gradients");
  }
  if (data.streamed()) {
    if (absl::Status streamed = CheckStreamedOrder(data.EffectiveStreamedOrder(world_size), run.global_batch,
                                                   world_size);
        !streamed.ok()) {
      return streamed;
    }
  }
  return CheckGlobalBatch(run.global_batch, world_size);
}

EpochOrderSpec TrainConfig::SampleOrder(int world_size) const {
  EpochOrderSpec spec;
  if (data.streamed()) spec.streamed = data.EffectiveStreamedOrder(world_size);
  spec.global_batch = run.global_batch;
  spec.seed = run.seed;
  return spec;
}

std::string TrainConfig::Json(int world_size) const {
  JsonLine json;
  json.Add("world_size", world_size).Add("local_batch_size", run.global_batch / world_size);
  json.Add("data_order_resolved", SampleOrder(world_size).Name());
  AddOptionsJson(*this, json);
  return json.str();
}

}  // namespace strobe
