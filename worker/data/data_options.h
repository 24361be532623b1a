#ifndef STROBE_WORKER_DATA_DATA_OPTIONS_H_
#define STROBE_WORKER_DATA_DATA_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "coordinator/streamed_order.h"
#include "worker/imagenet/image_size_schedule.h"

namespace strobe {

// Which data a run reads, how much of it, in which order, and how images are decoded (ImageNet layouts).
struct DataOptions {
  // IDX files (train-/t10k- images and labels), or train/ and val/ class folders or tar shards.
  std::string dir = "/usr/share/datasets/fashion-mnist";
  int64_t train_samples = 0;  // 0: the whole training split; N: only its first N samples (quick runs, tests)
  int64_t eval_samples = 0;   // 0: the whole test split; N: only its first N samples
  int64_t eval_batch = 500;   // per rank
  // ImageNet-layout datasets (worker/imagenet); the IDX path ignores these.
  int64_t image_size = 224;      // training crop and validation centre crop
  int64_t val_resize = 256;      // validation: shorter side resized to this before the centre crop
  // Progressive resizing of the training crops by epoch, "SIZE@EPOCH,..." (worker/imagenet/image_size_schedule.h);
  // empty: image_size throughout
  std::string image_size_schedule;
  double crop_scale_min = 0.08;  // RandomResizedCrop area fraction range [crop_scale_min, 1]
  int decode_threads = 0;        // 0: as many as the step's threads (DeviceOptions::threads)
  int64_t prefetch_batches = 2;  // batches decoded ahead of the training step
  std::string order = "shuffled";  // shuffled (a global permutation) | streamed (coordinator/streamed_order.h)
  int64_t streams = 0;             // streamed: streams the epoch is cut into; 0: the world size
  int64_t shuffle_window = 1024;   // streamed: samples shuffled together within a stream
  int64_t max_bad_images = 100;    // unreadable images a rank replaces before the run stops
  double max_bad_fraction = 0.01;  // the share of a rank's reads that may fail before the run stops
  bool uint8_batches = false;      // ImageNet layout: decode into bytes, normalised on the training device

  absl::Status Validate() const;
  // image_size_schedule parsed; only after Validate() accepted it.
  ImageSizeSchedule TrainSizeSchedule() const { return *ImageSizeSchedule::Parse(image_size_schedule, image_size); }

  bool streamed() const { return order == "streamed"; }
  // The streamed order's parameters at this world size (--data_streams=0 means one stream per rank).
  StreamedOrder EffectiveStreamedOrder(int world_size) const;

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("data", self.dir);
    visit("train_samples", self.train_samples);
    visit("eval_samples", self.eval_samples);
    visit("eval_batch", self.eval_batch);
    visit("image_size", self.image_size);
    visit("val_resize", self.val_resize);
    visit("image_size_schedule", self.image_size_schedule);
    visit("crop_scale_min", self.crop_scale_min);
    visit("decode_threads", self.decode_threads);
    visit("prefetch_batches", self.prefetch_batches);
    visit("data_order", self.order);
    visit("data_streams", self.streams);
    visit("shuffle_window", self.shuffle_window);
    visit("max_bad_images", self.max_bad_images);
    visit("max_bad_fraction", self.max_bad_fraction);
    visit("uint8_batches", self.uint8_batches);
  }
};

}  // namespace strobe

#endif  // STROBE_WORKER_DATA_DATA_OPTIONS_H_
