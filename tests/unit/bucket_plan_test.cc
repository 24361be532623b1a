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

// resnet20's parameter sizes for Fashion-MNIST (1 channel, 10 classes) in registration order: 272,186 floats.
std::vector<int64_t> ResNet20Numels() {
  std::vector<int64_t> numels = {16 * 9, 16, 16};
  int64_t in = 16;
  for (int64_t width : {16, 32, 64}) {
    for (int block = 0; block < 3; ++block) {
      for (int64_t n : {width * in * 9, width, width, width * width * 9, width, width}) numels.push_back(n);
      if (in != width) {
        for (int64_t n : {width * in, width, width}) numels.push_back(n);
      }
      in = width;
    }
  }
  numels.push_back(64 * 10);
  numels.push_back(10);
  return numels;
}

int64_t Bytes(const Bucket& bucket) { return bucket.numel * 4; }

TEST(BucketPlanTest, ASmallModelGetsALastBucketJustOverTheSmallestCut) {
  const std::vector<int64_t> numels = ResNet20Numels();
  const std::vector<Bucket> plan = PlanGradientBuckets(numels, 4, 25 << 20, 2);
  ASSERT_EQ(plan.size(), 2u);
  // The last bucket: the stem, stage 1 and stage 2 but its last BatchNorm (produced last by backward), 263,104
  // bytes; without its first tensor it would fall under 256 KiB.
  EXPECT_EQ(Bytes(plan[1]), 263'104);
  EXPECT_LT(Bytes(plan[1]) - plan[1].slots.front().numel * 4, kMinCutBucketBytes);
  EXPECT_EQ(plan[1].slots.back().tensor_index, 0);
  EXPECT_EQ(Bytes(plan[0]) + Bytes(plan[1]), 272'186 * 4);
  EXPECT_EQ(plan[0].slots.front().tensor_index, static_cast<int>(numels.size()) - 1);
  // Three where asked, none under the smallest cut; one where none is asked for.
  const std::vector<Bucket> three = PlanGradientBuckets(numels, 4, 25 << 20, 3);
  ASSERT_EQ(three.size(), 3u);
  for (const Bucket& bucket : three) EXPECT_GE(Bytes(bucket), kMinCutBucketBytes);
  EXPECT_EQ(PlanGradientBuckets(numels, 4, 25 << 20, 1).size(), 1u);
  // As many as fit: a fourth cut would leave the first bucket 151,080 bytes.
  const std::vector<Bucket> most = PlanGradientBuckets(numels, 4, 25 << 20, 8);
  ASSERT_EQ(most.size(), 3u);
  EXPECT_EQ(Bytes(most[0]), 447'016);
  EXPECT_EQ(Bytes(most[1]), 378'624);
  EXPECT_EQ(Bytes(most[2]), 263'104);
}

TEST(BucketPlanTest, GradientsTooSmallForTwoCutsStayInOneBucket) {
  // 400 KiB: a second bucket would be smaller than 256 KiB (and all-reduced in another order at some world sizes).
  const std::vector<int64_t> numels(100, 1024);
  EXPECT_EQ(PlanGradientBuckets(numels, 4, 25 << 20, 2).size(), 1u);
  // 600 KiB: two.
  const std::vector<int64_t> larger(150, 1024);
  const std::vector<Bucket> plan = PlanGradientBuckets(larger, 4, 25 << 20, 2);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(Bytes(plan[1]), 256 << 10);
  EXPECT_EQ(Bytes(plan[0]), 344 << 10);
}

TEST(BucketPlanTest, WhereTheCapMakesSeveralBucketsTheyStand) {
  // ResNet-50's gradients already make several buckets under 25 MiB: the plan is the cap's.
  std::vector<int64_t> numels(50, 512 * 1024);  // 100 MiB in 2 MiB tensors
  std::vector<int> reverse(numels.size());
  for (size_t i = 0; i < reverse.size(); ++i) reverse[i] = static_cast<int>(reverse.size() - 1 - i);
  const std::vector<Bucket> capped = PlanBuckets(numels, reverse, 4, 25 << 20);
  const std::vector<Bucket> plan = PlanGradientBuckets(numels, 4, 25 << 20, 2);
  ASSERT_EQ(plan.size(), capped.size());
  for (size_t b = 0; b < plan.size(); ++b) EXPECT_EQ(plan[b].numel, capped[b].numel);
}

TEST(BucketPlanTest, RejectsBadArguments) {
  EXPECT_THROW(PlanBuckets({1}, {0}, 4, 0), std::invalid_argument);
  EXPECT_THROW(PlanBuckets({1}, {1}, 4, 64), std::invalid_argument);
}

}  // namespace
}  // namespace strobe
