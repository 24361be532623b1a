#include "ops/bucket_plan.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace strobe {

namespace {

// Buckets of `order` cut before the positions `starts` (ascending, the first 0).
std::vector<Bucket> BucketsStartingAt(const std::vector<int64_t>& numels, const std::vector<int>& order,
                                      const std::vector<size_t>& starts) {
  std::vector<Bucket> buckets;
  for (size_t b = 0; b < starts.size(); ++b) {
    Bucket bucket;
    const size_t end = b + 1 < starts.size() ? starts[b + 1] : order.size();
    for (size_t position = starts[b]; position < end; ++position) {
      bucket.slots.push_back(BucketSlot{order[position], bucket.numel, numels[order[position]]});
      bucket.numel += numels[order[position]];
    }
    buckets.push_back(std::move(bucket));
  }
  return buckets;
}

// Where the buckets start when, counting from the end of `order`, a bucket is cut off each time the tensors since
// the last cut pass `min_bytes`, at most `max_cuts` times and only while what stays before the cut keeps
// `min_bytes` too.
std::vector<size_t> TrailingCutStarts(const std::vector<int64_t>& numels, const std::vector<int>& order,
                                      int64_t element_size, int64_t max_cuts, int64_t min_bytes) {
  int64_t before = 0;
  for (int index : order) before += numels[index] * element_size;
  std::vector<size_t> starts;
  int64_t since_cut = 0;
  for (size_t position = order.size(); position > 0 && static_cast<int64_t>(starts.size()) < max_cuts;) {
    const int64_t bytes = numels[order[--position]] * element_size;
    since_cut += bytes;
    before -= bytes;
    if (since_cut < min_bytes) continue;
    if (before < min_bytes) break;
    starts.insert(starts.begin(), position);
    since_cut = 0;
  }
  starts.insert(starts.begin(), 0);
  return starts;
}

}  // namespace

std::vector<Bucket> PlanBuckets(const std::vector<int64_t>& numels, const std::vector<int>& order,
                                int64_t element_size, int64_t cap_bytes) {
  if (element_size <= 0 || cap_bytes <= 0) {
    throw std::invalid_argument("PlanBuckets: element size and bucket cap must be positive");
  }
  const int64_t cap_elements = std::max<int64_t>(1, cap_bytes / element_size);
  std::vector<size_t> starts;
  int64_t filled = 0;
  for (size_t position = 0; position < order.size(); ++position) {
    const int index = order[position];
    if (index < 0 || index >= static_cast<int>(numels.size())) {
      throw std::invalid_argument("PlanBuckets: order names a tensor that does not exist");
    }
    if (starts.empty() || (position > starts.back() && filled + numels[index] > cap_elements)) {
      starts.push_back(position);
      filled = 0;
    }
    filled += numels[index];
  }
  return BucketsStartingAt(numels, order, starts);
}

std::vector<Bucket> PlanGradientBuckets(const std::vector<int64_t>& numels, int64_t element_size, int64_t cap_bytes,
                                        int64_t small_model_buckets) {
  std::vector<int> reverse(numels.size());
  std::iota(reverse.rbegin(), reverse.rend(), 0);
  std::vector<Bucket> capped = PlanBuckets(numels, reverse, element_size, cap_bytes);
  if (capped.size() != 1 || small_model_buckets <= 1) return capped;
  return BucketsStartingAt(
      numels, reverse,
      TrailingCutStarts(numels, reverse, element_size, small_model_buckets - 1, kMinCutBucketBytes));
}

}  // namespace strobe
