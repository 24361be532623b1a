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

int64_t BucketCapFor(int64_t total_bytes, int64_t cap_bytes, int64_t min_buckets) {
  if (min_buckets <= 1) return cap_bytes;
  const int64_t share = (total_bytes + min_buckets - 1) / min_buckets;
  return std::max<int64_t>(1, std::min(cap_bytes, share));
}

std::vector<Bucket> PlanGradientBuckets(const std::vector<int64_t>& numels, int64_t element_size, int64_t cap_bytes,
                                        int64_t min_buckets) {
  std::vector<int> reverse(numels.size());
  std::iota(reverse.rbegin(), reverse.rend(), 0);  // backward produces the last layers' gradients first
  const int64_t total_bytes = std::accumulate(numels.begin(), numels.end(), int64_t{0}) * element_size;
  return PlanBuckets(numels, reverse, element_size, BucketCapFor(total_bytes, cap_bytes, min_buckets));
}

}  // namespace strobe
