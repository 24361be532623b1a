#include "ops/allreduce_cost.h"

#include <gtest/gtest.h>

namespace strobe {
namespace {

ClusterModel Cluster(int gpus, double intra_busbw, double inter_busbw, double latency_us) {
  ClusterModel cluster;
  cluster.gpus = gpus;
  cluster.gpus_per_node = 8;
  cluster.intra_node = {intra_busbw, latency_us};
  cluster.inter_node = {inter_busbw, latency_us};
  return cluster;
}

TEST(AllreduceCostTest, BusBandwidthAndLatencyClosedForms) {
  EXPECT_EQ(AllreduceSeconds(1e9, Cluster(1, 100, 10, 5)), 0.0);
  // 2 GPUs on one node: 2 (N-1)/N x 1 GB / 100 GB/s = 10 ms, plus 2 latency steps.
  EXPECT_DOUBLE_EQ(AllreduceSeconds(1e9, Cluster(2, 100, 10, 0)), 0.01);
  EXPECT_DOUBLE_EQ(AllreduceSeconds(1e9, Cluster(2, 100, 10, 5)), 0.01 + 2 * 5e-6);
  // 16 GPUs span two nodes: the inter-node bus bandwidth limits.
  EXPECT_DOUBLE_EQ(AllreduceSeconds(1e9, Cluster(16, 100, 10, 0)), 2.0 * 15 / 16 * 1e9 / 1e10);
  // 1024 GPUs: the tree's 2 log2 N = 20 latency steps beat the ring's 2046.
  EXPECT_DOUBLE_EQ(AllreduceSeconds(0, Cluster(1024, 100, 10, 10)), 20 * 10e-6);
}

TEST(AllreduceCostTest, OverlapHidesAllButTheLastBucket) {
  StepModel step;
  step.compute_seconds = 0.3;  // backward 0.2 s
  step.bucket_bytes = {1e8, 1e8, 1e8, 1e8};
  const ClusterModel cluster = Cluster(2, 100, 10, 0);  // 1 ms per bucket
  StepProjection projection = ProjectStep(step, cluster);
  EXPECT_NEAR(projection.communication_seconds, 0.004, 1e-12);
  EXPECT_NEAR(projection.exposed_seconds, 0.001, 1e-12);  // the last bucket, ready when backward ends
  EXPECT_NEAR(projection.step_seconds, 0.301, 1e-12);
  EXPECT_NEAR(projection.efficiency, 0.3 / 0.301, 1e-12);

  step.overlap = false;
  projection = ProjectStep(step, cluster);
  EXPECT_NEAR(projection.exposed_seconds, 0.004, 1e-12);

  step.overlap = true;  // communication slower than backward: the queue spills past it
  step.compute_seconds = 0.003;  // backward 2 ms, buckets ready at 0.5, 1, 1.5, 2 ms
  projection = ProjectStep(step, cluster);
  EXPECT_NEAR(projection.exposed_seconds, 0.0045 - 0.002, 1e-12);
}

// Buckets of other sizes are ready when their last byte is: a small last bucket (resnet20's third holds 10% of its
// gradients) leaves little exposed.
TEST(AllreduceCostTest, EachBucketIsReadyWhenBackwardHasProducedItsBytes) {
  StepModel step;
  step.compute_seconds = 0.006;  // backward 4 ms
  step.bucket_bytes = {2e8, 2e8, 1e8};  // ready at 1.6, 3.2 and 4 ms; 2, 2 and 1 ms on the wire
  const ClusterModel cluster = Cluster(2, 100, 10, 0);
  const StepProjection projection = ProjectStep(step, cluster);
  EXPECT_NEAR(projection.communication_seconds, 0.005, 1e-12);
  // Finished at 3.6, then max(3.6, 3.2) + 2 = 5.6, then max(5.6, 4) + 1 = 6.6 ms.
  EXPECT_NEAR(projection.exposed_seconds, 0.0066 - 0.004, 1e-12);
}

}  // namespace
}  // namespace strobe
