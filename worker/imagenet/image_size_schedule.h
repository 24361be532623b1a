#ifndef STROBE_WORKER_IMAGENET_IMAGE_SIZE_SCHEDULE_H_
#define STROBE_WORKER_IMAGENET_IMAGE_SIZE_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// Progressive resizing (--image_size_schedule, as FFCV's and Composer's): the side of the training crops from
// each listed epoch on, e.g. "160@0,192@10,224@16"; evaluation stays at --image_size. Empty: always image_size.
class ImageSizeSchedule {
 public:
  // `text`: SIZE@EPOCH entries, the first at epoch 0, epochs and sizes strictly increasing, sizes multiples of 8
  // between 8 and 1024 or the evaluation size itself (so that a schedule can end at Fashion-MNIST's 28). Errors
  // name the flag and the entry.
  static absl::StatusOr<ImageSizeSchedule> Parse(const std::string& text, int64_t evaluation_size);

  bool empty() const { return steps_.empty(); }
  // The canonical SIZE@EPOCH form ("" when empty): what checkpoints record, so "0160@0" and "160@0" compare equal.
  std::string ToString() const;
  // The training crop side at `epoch`; `otherwise` when the schedule is empty.
  int SizeAt(int64_t epoch, int otherwise) const;
  // The last (largest) size; 0 when empty.
  int largest() const { return steps_.empty() ? 0 : steps_.back().second; }

 private:
  std::vector<std::pair<int64_t, int>> steps_;  // (first epoch, size), increasing
};

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_IMAGE_SIZE_SCHEDULE_H_
