#include "ops/bucket_plan.h"

#include <gtest/gtest.h>

#include <set>

namespace strobe {
namespace {

TEST(BucketPlanTest, FillsBucketsInOrderUpToTheCap) {
  // 4-byte elements, cap 40 bytes = 10 elements.
  const std::vector<Bucket> plan = PlanBuckets({4, 4, 4, 3, 20, 1}, {5, 4, 3, 2, 1, 0}, 4, 40);
  ASSERT_EQ(plan.size(), 4u);
  // Tensor 5 (1) alone cannot take tensor 4 (20 > cap), which gets its own bucket.
  EXPECT_EQ(plan[0].slots.size(), 1u);
  EXPECT_EQ(plan[0].slots[0].tensor_index, 5);
  EXPECT_EQ(plan[1].numel, 20);
  // 3 + 4 = 7, +4 would be 11 > 10.
  ASSERT_EQ(plan[2].slots.size(), 2u);
  EXPECT_EQ(plan[2].slots[0].tensor_index, 3);
  EXPECT_EQ(plan[2].slots[1].tensor_index, 2);
  EXPECT_EQ(plan[2].slots[1].offset, 3);
  EXPECT_EQ(plan[3].numel, 8);
}

TEST(BucketPlanTest, CoversEveryTensorOnceWithContiguousOffsets) {
  std::vector<int64_t> numels;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) {
    numels.push_back(1 + (i * 7919) % 5000);
    order.push_back(99 - i);
  }
  const std::vector<Bucket> plan = PlanBuckets(numels, order, 4, 25 * 1024);
  std::set<int> seen;
  int expected_next = 99;
  for (const Bucket& bucket : plan) {
    int64_t offset = 0;
    for (const BucketSlot& slot : bucket.slots) {
      EXPECT_EQ(slot.tensor_index, expected_next--);
      EXPECT_EQ(slot.offset, offset);
      EXPECT_EQ(slot.numel, numels[slot.tensor_index]);
      offset += slot.numel;
      seen.insert(slot.tensor_index);
    }
    EXPECT_EQ(offset, bucket.numel);
    EXPECT_TRUE(bucket.numel * 4 <= 25 * 1024 || bucket.slots.size() == 1);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(BucketPlanTest, IsDeterministic) {
  const std::vector<int64_t> numels{10, 2000, 30, 4};
  const std::vector<int> order{3, 2, 1, 0};
  const std::vector<Bucket> a = PlanBuckets(numels, order, 4, 4096);
  const std::vector<Bucket> b = PlanBuckets(numels, order, 4, 4096);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].numel, b[i].numel);
}

TEST(BucketPlanTest, ASmallModelStillGetsTheMinimumNumberOfBuckets) {
  // resnet20's 272,186 float gradients (Fashion-MNIST's shape, 1.09 MB) under the default 25 MiB cap: buckets of at
  // most half.
  const int64_t resnet20 = 272186 * 4;
  EXPECT_EQ(BucketCapFor(resnet20, 25 << 20, 2), resnet20 / 2);
  EXPECT_EQ(BucketCapFor(resnet20 + 1, 25 << 20, 2), resnet20 / 2 + 1);  // rounded up: never a third bucket of 1 byte
  // ResNet-50's 102 MB already make four buckets: the cap stands.
  EXPECT_EQ(BucketCapFor(102'228'128, 25 << 20, 2), 25 << 20);
  EXPECT_EQ(BucketCapFor(resnet20, 25 << 20, 1), 25 << 20);
  EXPECT_EQ(BucketCapFor(3, 25 << 20, 8), 1);
  // The plan made with it: buckets split where the cap falls, no bucket over it.
  const std::vector<int64_t> numels{100, 100, 100, 100};
  const std::vector<Bucket> plan = PlanBuckets(numels, {3, 2, 1, 0}, 4, BucketCapFor(1600, 1 << 20, 2));
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].numel, 200);
  EXPECT_EQ(plan[1].numel, 200);
}

TEST(BucketPlanTest, RejectsBadArguments) {
  EXPECT_THROW(PlanBuckets({1}, {0}, 4, 0), std::invalid_argument);
  EXPECT_THROW(PlanBuckets({1}, {1}, 4, 64), std::invalid_argument);
}

}  // namespace
}  // namespace strobe
