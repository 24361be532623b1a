#ifndef STROBE_WORKER_DATA_IN_MEMORY_SOURCE_H_
#define STROBE_WORKER_DATA_IN_MEMORY_SOURCE_H_

#include "worker/data/image_dataset.h"
#include "worker/data/sample_source.h"

namespace strobe {

// A dataset held in memory as pixels (the IDX files of Fashion-MNIST): batches are gathered and normalised, with
// no augmentation of their own.
class InMemorySource : public SampleSource {
 public:
  InMemorySource(ImageDataset dataset, Normalization norm) : dataset_(std::move(dataset)), norm_(std::move(norm)) {}

  int64_t size() const override { return dataset_.size(); }
  int64_t num_classes() const override { return dataset_.num_classes; }
  int64_t channels() const override { return dataset_.images.size(1); }
  absl::StatusOr<Batch> Fetch(const at::Tensor& indices, const BatchDraw& draw) override;

 private:
  ImageDataset dataset_;
  Normalization norm_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_DATA_IN_MEMORY_SOURCE_H_
