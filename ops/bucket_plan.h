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

}  // namespace strobe

#endif  // STROBE_OPS_BUCKET_PLAN_H_
