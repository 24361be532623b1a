#ifndef STROBE_OPS_BUCKET_PLAN_H_
#define STROBE_OPS_BUCKET_PLAN_H_

#include <cstdint>
#include <vector>

namespace strobe {

// Where one tensor lives inside a bucket's flat buffer.
struct BucketSlot {
  int tensor_index = 0;  // index into the tensor list the plan was made from
  int64_t offset = 0;    // in elements, from the start of the bucket
  int64_t numel = 0;
};

struct Bucket {
  std::vector<BucketSlot> slots;
  int64_t numel = 0;
};

// Packs tensors into buckets of at most `cap_bytes`, visiting them in `order` (indices into `numels`; gradient
// averaging passes reverse registration order because backward produces gradients roughly in that order).
// Consecutive tensors share a bucket until the next one would overflow it; a tensor larger than the cap gets a
// bucket of its own. A pure function of its inputs, so every rank derives the same plan and issues the same
// collectives in the same order.
std::vector<Bucket> PlanBuckets(const std::vector<int64_t>& numels, const std::vector<int>& order,
                                int64_t element_size, int64_t cap_bytes);

// The cap that splits `total_bytes` of gradients into at least `min_buckets` buckets when `cap_bytes` would give
// fewer: so that a small model (resnet20's 1 MiB under the default 25 MiB) still has buckets on the wire while
// backward computes, instead of one bucket that is ready only when backward ends.
int64_t BucketCapFor(int64_t total_bytes, int64_t cap_bytes, int64_t min_buckets);

// The buckets of a model's gradients (`numels`: its parameters in registration order), as the gradient bucketer
// fills them and `strobe plan` projects them: reverse order, the cap from BucketCapFor.
std::vector<Bucket> PlanGradientBuckets(const std::vector<int64_t>& numels, int64_t element_size, int64_t cap_bytes,
                                        int64_t min_buckets);

// What training asks for. Two, not more: across hosts every bucket pays its own network round trips, and with
// 5 ms links resnet20 trained at 647 / 670 / 683 / 469 img/s with at least 1 / 2 / 3 / 8 buckets, at 10 ms at
// 672 / 650 / 546 with 1 / 2 / 3 (docs/benchmarks.md, "Across hosts").
inline constexpr int64_t kTrainingMinBuckets = 2;

}  // namespace strobe

#endif  // STROBE_OPS_BUCKET_PLAN_H_
