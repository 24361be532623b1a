#include "ops/bucket_plan.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace strobe {

std::vector<Bucket> PlanBuckets(const std::vector<int64_t>& numels, const std::vector<int>& order,
                                int64_t element_size, int64_t cap_bytes) {
  if (element_size <= 0 || cap_bytes <= 0) {
    throw std::invalid_argument("PlanBuckets: element size and bucket cap must be positive");
  }
  const int64_t cap_elements = std::max<int64_t>(1, cap_bytes / element_size);
  std::vector<Bucket> buckets;
  Bucket current;
  for (int index : order) {
    if (index < 0 || index >= static_cast<int>(numels.size())) {
      throw std::invalid_argument("PlanBuckets: order names a tensor that does not exist");
    }
    const int64_t numel = numels[index];
    if (!current.slots.empty() && current.numel + numel > cap_elements) {
      buckets.push_back(std::move(current));
      current = Bucket{};
    }
    current.slots.push_back(BucketSlot{index, current.numel, numel});
    current.numel += numel;
  }
  if (!current.slots.empty()) buckets.push_back(std::move(current));
  return buckets;
}

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

// Where `count` buckets start when the last count - 1 hold just over `min_bytes` each, counted from the end of
// `order`; empty when the first bucket would then be smaller than `min_bytes`.
std::vector<size_t> TrailingCuts(const std::vector<int64_t>& numels, const std::vector<int>& order,
                                 int64_t element_size, int64_t count, int64_t min_bytes) {
  std::vector<size_t> starts;
  size_t position = order.size();
  for (int64_t cut = 1; cut < count; ++cut) {
    int64_t bytes = 0;
    while (position > 0 && bytes < min_bytes) bytes += numels[order[--position]] * element_size;
    if (bytes < min_bytes) return {};
    starts.insert(starts.begin(), position);
  }
  int64_t first_bytes = 0;
  for (size_t p = 0; p < position; ++p) first_bytes += numels[order[p]] * element_size;
  if (first_bytes < min_bytes) return {};
  starts.insert(starts.begin(), 0);
  return starts;
}

}  // namespace

std::vector<Bucket> PlanGradientBuckets(const std::vector<int64_t>& numels, int64_t element_size, int64_t cap_bytes,
                                        int64_t min_buckets) {
  std::vector<int> reverse(numels.size());
  std::iota(reverse.rbegin(), reverse.rend(), 0);
  std::vector<Bucket> capped = PlanBuckets(numels, reverse, element_size, cap_bytes);
  if (capped.size() != 1) return capped;
  for (int64_t count = min_buckets; count > 1; --count) {
    const std::vector<size_t> starts = TrailingCuts(numels, reverse, element_size, count, kMinCutBucketBytes);
    if (!starts.empty()) return BucketsStartingAt(numels, reverse, starts);
  }
  return capped;
}

}  // namespace strobe
