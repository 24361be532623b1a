#ifndef STROBE_WORKER_DATA_SAMPLE_SOURCE_H_
#define STROBE_WORKER_DATA_SAMPLE_SOURCE_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// A batch as a source fetches it.
struct Batch {
  at::Tensor images;  // float [n, C, H, W], normalised; or uint8 from a source whose Normalize() finishes them
  at::Tensor labels;  // int64 [n]
};

// The randomness a batch gets. Augmentation draws depend on (seed, epoch, sample index) alone, so a sample is
// transformed the same way whichever rank or thread handles it, and again after a resume.
struct BatchDraw {
  uint64_t seed = 0;
  int64_t epoch = 0;
  bool augment = false;  // training transforms (random crop, flip); false: the deterministic evaluation ones
};

// The files a source that decodes found unreadable, each counted once however often it is met.
struct UnreadableSamples {
  std::vector<int64_t> files;  // the source's file numbers (the same on every rank), sorted
  std::string first;           // "PATH: reason" of the first one
};

// One split of a dataset as the training loop and the evaluator see it: a fixed number of labelled samples,
// fetched by index as normalised float batches.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual int64_t size() const = 0;
  virtual int64_t num_classes() const = 0;
  virtual int64_t channels() const = 0;

  // The batch of the samples at `indices` (int64 [n]). A source that decodes files replaces a sample it cannot
  // read by a readable one (and counts it in unreadable()); it fails only on errors that are not the data's.
  virtual absl::StatusOr<Batch> Fetch(const at::Tensor& indices, const BatchDraw& draw) = 0;

  // Fetch will soon be asked for these: a source that decodes starts on them in the background.
  virtual void Prefetch(const at::Tensor& indices, const BatchDraw& draw) {}

  virtual UnreadableSamples unreadable() const { return {}; }

  // A source whose samples sit in shards read fastest front to back (tar shards) gives the shards' sizes in index
  // order: samples [0, sizes[0]) are in the first shard, the next sizes[1] in the second, ... Empty otherwise.
  virtual std::vector<int64_t> shard_sizes() const { return {}; }

  // Fetched images as the model takes them, normalised floats, computed on whatever device `images` is on: a
  // source that fetches bytes (a quarter of the memory and of the host-to-GPU traffic) normalises them here, after
  // the copy to the GPU. Identity for sources that fetch normalised floats.
  virtual at::Tensor Normalize(const at::Tensor& images) const { return images; }
};

// source.Fetch, throwing std::runtime_error with the source's message when it fails: the ranks of a job meet in
// collectives every step, so a rank that cannot go on must end the whole job (app/main.cc turns the exception into
// a message and an MPI abort) rather than return and leave the others waiting.
Batch FetchBatch(SampleSource& source, const at::Tensor& indices, const BatchDraw& draw);

}  // namespace strobe

#endif  // STROBE_WORKER_DATA_SAMPLE_SOURCE_H_
