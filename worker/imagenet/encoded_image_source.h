#ifndef STROBE_WORKER_IMAGENET_ENCODED_IMAGE_SOURCE_H_
#define STROBE_WORKER_IMAGENET_ENCODED_IMAGE_SOURCE_H_

#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "worker/data/sample_source.h"
#include "worker/data/worker_pool.h"
#include "worker/imagenet/encoded_images.h"
#include "worker/imagenet/image_size_schedule.h"
#include "worker/imagenet/sample_transform.h"

namespace strobe {

struct EncodedImageOptions {
  SampleTransform transform;
  // Training draws' crop side by epoch (progressive resizing); evaluation draws use transform.size.
  ImageSizeSchedule train_sizes;
  int decode_threads = 1;
  int64_t max_unreadable = 100;  // more distinct unreadable images than this on a rank end the run
  // A larger share of failed reads on a rank ends it too, once it has read min(1000, the split's size) times.
  double max_unreadable_fraction = 0.01;
  int64_t prefetch_limit = 8;    // batches decoded ahead at most
  int64_t limit_samples = 0;     // 0: every image; N: N images spread evenly over the split (quick runs)
};

// One split of JPEG/PNG images (an ImageNet folder layout or WebDataset tar shards) decoded on demand by a pool
// of threads: each sample is read, decoded (only what its crop needs) and transformed straight into its slot of
// the batch tensor (normalised floats, or bytes with transform.uint8_output). Prefetch queues batches ahead, so a
// step whose batch was prefetched waits only if decoding falls behind.
// An image that cannot be read is replaced by the next readable one of the split (the same one every time, so
// runs stay reproducible), reported on stderr the first time and counted. Fetch fails, naming the first unreadable
// file, when the count or the share of failed reads passes its limit, or when none of the images tried for a slot
// could be read: a batch never holds an empty slot.
class EncodedImageSource : public SampleSource {
 public:
  EncodedImageSource(std::unique_ptr<EncodedImages> images, const EncodedImageOptions& options);
  ~EncodedImageSource() override;

  int64_t size() const override { return static_cast<int64_t>(samples_.size()); }
  int64_t num_classes() const override { return images_->num_classes(); }
  int64_t channels() const override { return 3; }
  absl::StatusOr<Batch> Fetch(const at::Tensor& indices, const BatchDraw& draw) override;
  void Prefetch(const at::Tensor& indices, const BatchDraw& draw) override;
  UnreadableSamples unreadable() const override;
  std::vector<int64_t> shard_sizes() const override;
  at::Tensor Normalize(const at::Tensor& images) const override;

 private:
  struct PendingBatch;

  std::shared_ptr<PendingBatch> Start(const at::Tensor& indices, const BatchDraw& draw);
  // Queues the decoding of every sample of `pending` into its slot of `pixels` (float or uint8).
  template <typename T>
  void DecodeAll(const std::shared_ptr<PendingBatch>& pending, T* pixels);
  // Fills one slot of a batch with sample `index` or, when it cannot be read, the next readable sample.
  template <typename T>
  void DecodeInto(int64_t index, const BatchDraw& draw, T* pixels, int64_t* label);
  // The transform of `draw`'s samples: the schedule's crop side for a training draw's epoch.
  SampleTransform TransformFor(const BatchDraw& draw) const;
  // Counts a read; an unreadable file is reported the first time (on stderr, by name) and counted once.
  void CountRead(int64_t image, const absl::Status& status);
  // The error that ends the run once the unreadable images pass a limit; OK below them.
  absl::Status CheckUnreadable() const;

  const std::unique_ptr<EncodedImages> images_;
  const EncodedImageOptions options_;
  // Normalize's per-channel constants on the device of the last batch it finished: made once, not copied to a GPU
  // (a host synchronisation) on every step. Normalize runs on the training thread only.
  mutable at::Tensor byte_mean_;
  mutable at::Tensor byte_scale_;
  std::vector<int64_t> samples_;  // the images this source serves
  std::deque<std::shared_ptr<PendingBatch>> pending_;  // started, oldest first; touched by the training thread only
  mutable std::mutex unreadable_mutex_;
  UnreadableSamples unreadable_;
  int64_t reads_ = 0;         // under unreadable_mutex_, as the three below
  int64_t failed_reads_ = 0;
  std::string empty_slot_;  // set when every image tried for a slot failed: why the first such slot stayed empty
  WorkerPool pool_;  // last: its threads stop before the members they use go
};

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_ENCODED_IMAGE_SOURCE_H_
