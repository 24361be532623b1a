#ifndef STROBE_WORKER_DATA_IN_MEMORY_SOURCE_H_
#define STROBE_WORKER_DATA_IN_MEMORY_SOURCE_H_

#include "worker/data/image_dataset.h"
#include "worker/data/sample_source.h"
#include "worker/imagenet/image_size_schedule.h"

namespace strobe {

// A dataset held in memory as pixels (the IDX files of Fashion-MNIST): batches are gathered and normalised, with
// no augmentation of their own. With a size schedule (--image_size_schedule), training batches are shrunk to the
// epoch's size (bilinear with antialiasing, as torchvision's Resize); evaluation batches keep the images' size.
class InMemorySource : public SampleSource {
 public:
  InMemorySource(ImageDataset dataset, Normalization norm, ImageSizeSchedule train_sizes = {})
      : dataset_(std::move(dataset)), norm_(std::move(norm)), train_sizes_(std::move(train_sizes)) {}

  int64_t size() const override { return dataset_.size(); }
  int64_t num_classes() const override { return dataset_.num_classes; }
  int64_t channels() const override { return dataset_.images.size(1); }
  absl::StatusOr<Batch> Fetch(const at::Tensor& indices, const BatchDraw& draw) override;

 private:
  ImageDataset dataset_;
  Normalization norm_;
  ImageSizeSchedule train_sizes_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_DATA_IN_MEMORY_SOURCE_H_
