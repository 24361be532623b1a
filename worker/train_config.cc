#include "worker/train_config.h"

#include "absl/strings/str_format.h"
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
  // Under these the partner of a sample is in the batch before, which has another size at a schedule's change.
  const bool previous_batch_partners =
      mix.partners == PartnerPolicy::kPrevious || (mix.partners == PartnerPolicy::kRing && world_size == 1);
  if (!data.image_size_schedule.empty() && mix.enabled() && previous_batch_partners) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--image_size_schedule changes the batches' image size between epochs, so --mix_partners=%s (partners from "
        "the previous batch%s) could pair images of two sizes; use --mix_partners=flip, roll or permute",
        PartnerPolicyName(mix.partners), world_size == 1 ? " at 1 rank" : ""));
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
  if (absl::Status batch = CheckGlobalBatch(run.global_batch, world_size); !batch.ok()) return batch;
  const int64_t rank_batch = run.global_batch / world_size;
  if (rank_batch % run.accum_steps != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--accum_steps=%d does not divide each rank's share of the global batch (--batch_size=%d over %d ranks: %d "
        "samples per rank); use a divisor of %d",
        run.accum_steps, run.global_batch, world_size, rank_batch, rank_batch));
  }
  return absl::OkStatus();
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
