#ifndef STROBE_WORKER_IMAGENET_ENCODED_IMAGE_SOURCE_H_
#define STROBE_WORKER_IMAGENET_ENCODED_IMAGE_SOURCE_H_

#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "worker/data/sample_source.h"
#include "worker/data/worker_pool.h"
#include "worker/imagenet/encoded_images.h"
#include "worker/imagenet/sample_transform.h"

namespace strobe {

struct EncodedImageOptions {
  SampleTransform transform;
  int decode_threads = 1;
  int64_t max_unreadable = 100;  // more distinct unreadable images than this on a rank end the run
  int64_t prefetch_limit = 8;    // batches decoded ahead at most
  int64_t limit_samples = 0;     // 0: every image; N: N images spread evenly over the split (quick runs)
};

// One split of JPEG/PNG images (an ImageNet folder layout or WebDataset tar shards) decoded on demand by a pool
// of threads: each sample is read, decoded (only what its crop needs) and transformed straight into its slot of
// the batch tensor (normalised floats, or bytes with transform.uint8_output). Prefetch queues batches ahead, so a step whose batch was prefetched waits only if decoding falls behind.
// An image that cannot be read is replaced by the next readable one of the split (the same one every time, so
// runs stay reproducible), reported on stderr the first time and counted.
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
  // Reports a file the first time it is found unreadable (on stderr, by name) and counts it.
  void CountUnreadable(int64_t image, const absl::Status& why);

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
  WorkerPool pool_;  // last: its threads stop before the members they use go
};

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_ENCODED_IMAGE_SOURCE_H_
