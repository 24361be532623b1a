#include "worker/imagenet/encoded_image_source.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "ops/random_bits.h"

namespace strobe {
namespace {

// The augmentation draw of one sample: a function of the run's seed, the epoch and the sample alone.
uint64_t SampleSeed(const BatchDraw& draw, int64_t index) {
  uint64_t state = draw.seed;
  state = SplitMix64(state) ^ static_cast<uint64_t>(draw.epoch);
  state = SplitMix64(state) ^ static_cast<uint64_t>(index);
  return SplitMix64(state);
}

// How many following samples an unreadable one may be replaced by before the batch slot stays empty.
constexpr int64_t kReplacementTries = 16;

}  // namespace

struct EncodedImageSource::PendingBatch {
  at::Tensor indices;
  BatchDraw draw;
  Batch batch;
  Countdown done;

  PendingBatch(at::Tensor i, const BatchDraw& d, Batch b, int64_t n)
      : indices(std::move(i)), draw(d), batch(std::move(b)), done(n) {}

  bool Matches(const at::Tensor& other, const BatchDraw& other_draw) const {
    return draw.seed == other_draw.seed && draw.epoch == other_draw.epoch && draw.augment == other_draw.augment &&
           indices.numel() == other.numel() && at::equal(indices, other);
  }
};

EncodedImageSource::EncodedImageSource(std::unique_ptr<EncodedImages> images, const EncodedImageOptions& options)
    : images_(std::move(images)), options_(options), pool_(std::max(1, options.decode_threads)) {
  const int64_t all = images_->size();
  const int64_t count = options.limit_samples > 0 ? std::min(options.limit_samples, all) : all;
  // Spread evenly: a folder layout is sorted by class, so its first N images would be a few classes only.
  for (int64_t i = 0; i < count; ++i) samples_.push_back(i * all / count);
}

EncodedImageSource::~EncodedImageSource() = default;

void EncodedImageSource::CountRead(int64_t image, const absl::Status& status) {
  std::lock_guard<std::mutex> lock(unreadable_mutex_);
  ++reads_;
  if (status.ok()) return;
  ++failed_reads_;
  std::vector<int64_t>& files = unreadable_.files;
  const auto at = std::lower_bound(files.begin(), files.end(), image);
  if (at != files.end() && *at == image) return;  // met before: reported and counted then
  files.insert(at, image);
  const std::string what = absl::StrFormat("%s: %s", images_->name(image), status.message());
  if (unreadable_.first.empty()) unreadable_.first = what;
  std::fprintf(stderr, "strobe: skipping an unreadable image, replaced by the next readable one: %s\n", what.c_str());
}

SampleTransform EncodedImageSource::TransformFor(const BatchDraw& draw) const {
  SampleTransform transform = options_.transform;
  if (draw.augment) transform.size = options_.train_sizes.SizeAt(draw.epoch, transform.size);
  return transform;
}

template <typename T>
void EncodedImageSource::DecodeInto(int64_t index, const BatchDraw& draw, T* pixels, int64_t* label) {
  const SampleTransform transform = TransformFor(draw);
  for (int64_t attempt = 0; attempt < kReplacementTries; ++attempt) {
    const int64_t sample = samples_[(index + attempt) % size()];
    absl::StatusOr<std::string> data = images_->Read(sample);
    absl::Status status = data.status();
    if (data.ok()) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(data->data());
      status = draw.augment ? TransformTrainSample(bytes, data->size(), transform, SampleSeed(draw, index), pixels)
                            : TransformEvalSample(bytes, data->size(), transform, pixels);
    }
    CountRead(sample, status);
    if (status.ok()) {
      *label = images_->label(sample);
      return;
    }
  }
  *label = images_->label(samples_[index]);
  std::lock_guard<std::mutex> lock(unreadable_mutex_);
  if (empty_slot_.empty()) {
    empty_slot_ = absl::StrFormat("none of the %d images of %s tried for sample %d could be read",
                                  std::min<int64_t>(kReplacementTries, size()), images_->location(), index);
  }
}

absl::Status EncodedImageSource::CheckUnreadable() const {
  std::lock_guard<std::mutex> lock(unreadable_mutex_);
  const int64_t count = static_cast<int64_t>(unreadable_.files.size());
  const std::string first = absl::StrFormat("the first: %s", unreadable_.first);
  if (!empty_slot_.empty()) return absl::DataLossError(absl::StrFormat("%s; %s", empty_slot_, first));
  if (count > options_.max_unreadable) {
    return absl::DataLossError(absl::StrFormat("%d images of %s could not be read, more than --max_bad_images=%d "
                                               "allows; %s",
                                               count, images_->location(), options_.max_unreadable, first));
  }
  const double share = reads_ > 0 ? static_cast<double>(failed_reads_) / reads_ : 0.0;
  if (reads_ >= std::min<int64_t>(1000, size()) && share > options_.max_unreadable_fraction) {
    return absl::DataLossError(absl::StrFormat(
        "%d of this rank's %d reads of %s failed (%.1f%%), more than --max_bad_fraction=%g allows; %s",
        failed_reads_, reads_, images_->location(), 100 * share, options_.max_unreadable_fraction, first));
  }
  return absl::OkStatus();
}

std::shared_ptr<EncodedImageSource::PendingBatch> EncodedImageSource::Start(const at::Tensor& indices,
                                                                          const BatchDraw& draw) {
  const int64_t n = indices.numel();
  const int64_t size = TransformFor(draw).size;
  at::TensorOptions options = at::TensorOptions().dtype(options_.transform.uint8_output ? at::kByte : at::kFloat);
#if STROBE_WITH_CUDA
  // Page-locked, so the copy to the GPU is a DMA that can overlap compute.
  if (at::hasCUDA()) options = options.pinned_memory(true);
#endif
  // Allocated in its final layout: converting afterwards would copy into unpinned memory.
  at::Tensor images = at::empty({n, 3, size, size}, options.memory_format(options_.transform.channels_last
                                                                                ? at::MemoryFormat::ChannelsLast
                                                                                : at::MemoryFormat::Contiguous));
  auto pending = std::make_shared<PendingBatch>(indices.contiguous(), draw,
                                                Batch{images, at::empty({n}, at::kLong)}, n);
  if (options_.transform.uint8_output) {
    DecodeAll(pending, images.data_ptr<uint8_t>());
  } else {
    DecodeAll(pending, images.data_ptr<float>());
  }
  return pending;
}

template <typename T>
void EncodedImageSource::DecodeAll(const std::shared_ptr<PendingBatch>& pending, T* pixels) {
  const int64_t size = TransformFor(pending->draw).size;
  const int64_t* index = pending->indices.data_ptr<int64_t>();
  int64_t* labels = pending->batch.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < pending->indices.numel(); ++i) {
    // In both layouts a sample's 3 × size × size values are contiguous.
    pool_.Post([this, pending, sample = index[i], out = pixels + i * 3 * size * size, label = labels + i] {
      DecodeInto(sample, pending->draw, out, label);
      pending->done.Done();
    });
  }
}

at::Tensor EncodedImageSource::Normalize(const at::Tensor& images) const {
  if (images.scalar_type() != at::kByte) return images;
  if (!byte_mean_.defined() || byte_mean_.device() != images.device()) {
    const SampleTransform& t = options_.transform;
    const at::TensorOptions options = at::TensorOptions().dtype(at::kFloat).device(images.device());
    byte_mean_ = at::tensor({t.mean[0], t.mean[1], t.mean[2]}, options).mul_(255.0f).view({1, 3, 1, 1});
    byte_scale_ = at::tensor({t.std[0], t.std[1], t.std[2]}, options).mul_(255.0f).reciprocal_().view({1, 3, 1, 1});
  }
  return images.to(at::kFloat).sub_(byte_mean_).mul_(byte_scale_);  // keeps the batch's memory format
}

void EncodedImageSource::Prefetch(const at::Tensor& indices, const BatchDraw& draw) {
  for (const auto& pending : pending_) {
    if (pending->Matches(indices, draw)) return;
  }
  if (static_cast<int64_t>(pending_.size()) >= options_.prefetch_limit) return;
  pending_.push_back(Start(indices, draw));
}

absl::StatusOr<Batch> EncodedImageSource::Fetch(const at::Tensor& indices, const BatchDraw& draw) {
  std::shared_ptr<PendingBatch> batch;
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if ((*it)->Matches(indices, draw)) {
      batch = *it;
      // Batches queued before this one were skipped by the run (their tasks hold them until done).
      pending_.erase(pending_.begin(), it + 1);
      break;
    }
  }
  if (batch == nullptr) batch = Start(indices, draw);  // not asked for ahead; batches queued after it stay
  batch->done.Wait();
  if (absl::Status readable = CheckUnreadable(); !readable.ok()) return readable;
  return batch->batch;
}

std::vector<int64_t> EncodedImageSource::shard_sizes() const {
  std::vector<int64_t> sizes;
  int32_t last = -1;
  for (const int64_t image : samples_) {  // ascending, so each shard's samples are one run
    const int32_t shard = images_->shard(image);
    if (shard < 0) return {};
    if (sizes.empty() || shard != last) sizes.push_back(0);
    ++sizes.back();
    last = shard;
  }
  return sizes;
}

UnreadableSamples EncodedImageSource::unreadable() const {
  std::lock_guard<std::mutex> lock(unreadable_mutex_);
  return unreadable_;
}

}  // namespace strobe
