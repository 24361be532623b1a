#include "worker/imagenet/image_size_schedule.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace strobe {

absl::StatusOr<ImageSizeSchedule> ImageSizeSchedule::Parse(const std::string& text, int64_t evaluation_size) {
  ImageSizeSchedule schedule;
  if (text.empty()) return schedule;
  for (const absl::string_view entry : absl::StrSplit(text, ',')) {
    const std::vector<absl::string_view> parts = absl::StrSplit(entry, '@');
    int size = 0;
    int64_t epoch = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &size) || !absl::SimpleAtoi(parts[1], &epoch)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--image_size_schedule=%s: '%s' is not SIZE@EPOCH (e.g. 160@0,192@10,224@16)", text, entry));
    }
    if ((size < 8 || size > 1024 || size % 8 != 0) && size != evaluation_size) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--image_size_schedule=%s: size %d is neither a multiple of 8 between 8 and 1024 nor "
                          "--image_size (%d)",
                          text, size, evaluation_size));
    }
    if (schedule.steps_.empty() && epoch != 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--image_size_schedule=%s: the first entry must start at epoch 0, not %d", text, epoch));
    }
    if (!schedule.steps_.empty() && (epoch <= schedule.steps_.back().first || size <= schedule.steps_.back().second)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--image_size_schedule=%s: '%s' does not increase both the epoch and the size over the entry before it",
          text, entry));
    }
    schedule.steps_.emplace_back(epoch, size);
  }
  return schedule;
}

std::string ImageSizeSchedule::ToString() const {
  return absl::StrJoin(steps_, ",", [](std::string* out, const std::pair<int64_t, int>& step) {
    absl::StrAppendFormat(out, "%d@%d", step.second, step.first);
  });
}

int ImageSizeSchedule::SizeAt(int64_t epoch, int otherwise) const {
  int size = otherwise;
  for (const auto& [first_epoch, step_size] : steps_) {
    if (epoch >= first_epoch) size = step_size;
  }
  return size;
}

}  // namespace strobe
