#include "worker/data/data_options.h"

#include "absl/strings/str_format.h"
#include "ops/option_checks.h"
#include "worker/imagenet/image_size_schedule.h"

namespace strobe {

absl::Status DataOptions::Validate() const {
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        "--data is required (a directory of IDX files, or of train/ and val/ class folders)");
  }
  if (image_size < 8 || val_resize < image_size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--image_size (%d) must be >= 8 and --val_resize (%d) at least --image_size", image_size, val_resize));
  }
  if (absl::StatusOr<ImageSizeSchedule> schedule = ImageSizeSchedule::Parse(image_size_schedule, image_size);
      !schedule.ok()) {
    return schedule.status();
  }
  if (order != "shuffled" && order != "streamed") {
    return absl::InvalidArgumentError(absl::StrFormat("--data_order=%s is not one of shuffled, streamed", order));
  }
  if (!streamed() && (streams != 0 || shuffle_window != DataOptions().shuffle_window)) {
    return absl::InvalidArgumentError(
        "--data_streams and --shuffle_window apply to --data_order=streamed only; add it, or drop them");
  }
  return FirstError({CheckPositive("eval_batch", eval_batch), CheckNonNegative("train_samples", train_samples),
                     CheckNonNegative("eval_samples", eval_samples),
                     CheckInRange("crop_scale_min", crop_scale_min, 1e-6, 1, false),
                     CheckNonNegative("decode_threads", int64_t{decode_threads}),
                     CheckNonNegative("prefetch_batches", prefetch_batches),
                     CheckNonNegative("max_bad_images", max_bad_images),
                     CheckProbability("max_bad_fraction", max_bad_fraction),
                     CheckNonNegative("data_streams", streams)});
}

StreamedOrder DataOptions::EffectiveStreamedOrder(int world_size) const {
  return StreamedOrder{streams > 0 ? streams : world_size, shuffle_window};
}

}  // namespace strobe
