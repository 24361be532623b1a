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

// The smallest bucket that cutting a small model's gradients may leave. Open MPI 4.1 (its default collectives, the
// "tuned" component's fixed rules) all-reduces every message from 256 KiB up by Rabenseifner's algorithm, at every
// world size, and that adds each element's contributions in one order whatever the message's length; smaller
// messages may go by a ring (at 3 ranks from 4 KiB), whose order depends on where an element falls in the message.
// So cuts no smaller than this leave the weights bitwise those of one bucket at every world size (an earlier plan
// left resnet20 a last bucket of 110 KiB, which changed the last bits of its weights at 3 ranks). It relies on such
// buckets going through the blocking MPI_Allreduce (ops/mpi_communicator.cc asserts it).
inline constexpr int64_t kMinCutBucketBytes = 256 << 10;

// The buckets of a model's gradients (`numels`: its parameters in registration order), as the gradient bucketer
// fills them and `strobe plan` projects them: reverse registration order, since backward produces the last layers'
// gradients first, at most `cap_bytes` each (PlanBuckets). Where that makes one bucket, so that a small model
// (resnet20's 1.09 MB under the default 25 MiB) still has a bucket on the wire while backward computes, the
// gradients backward produces last are cut into buckets of just over kMinCutBucketBytes each (the last one is
// all-reduced after backward, in full view), the first bucket keeping the rest: up to `small_model_buckets` of
// them with none smaller than kMinCutBucketBytes, so gradients under twice that stay in one bucket.
std::vector<Bucket> PlanGradientBuckets(const std::vector<int64_t>& numels, int64_t element_size, int64_t cap_bytes,
                                        int64_t small_model_buckets);

// What training asks for where the cap leaves one bucket. Two, not more: across hosts every bucket pays its own network round trips, and with
// 5 ms links resnet20 trained at 647 / 670 / 683 / 469 img/s with at least 1 / 2 / 3 / 8 buckets of an earlier plan
// (equal shares), at 10 ms at 672 / 650 / 546 with 1 / 2 / 3 (docs/benchmarks.md, "Across hosts").
inline constexpr int64_t kSmallModelBuckets = 2;

}  // namespace strobe

#endif  // STROBE_OPS_BUCKET_PLAN_H_
