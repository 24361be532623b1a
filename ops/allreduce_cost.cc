#include "ops/allreduce_cost.h"

#include <algorithm>
#include <cmath>

namespace strobe {

double AllreduceSeconds(double bytes, const ClusterModel& cluster) {
  const int n = cluster.gpus;
  if (n <= 1) return 0.0;
  const LinkModel& link = n <= cluster.gpus_per_node ? cluster.intra_node : cluster.inter_node;
  const double transfer = 2.0 * (n - 1) / n * bytes / (link.bus_gigabytes_per_s * 1e9);
  const double ring_latency = 2.0 * (n - 1) * link.step_latency_us * 1e-6;
  const double tree_latency = 2.0 * std::ceil(std::log2(n)) * link.step_latency_us * 1e-6;
  return transfer + std::min(ring_latency, tree_latency);
}

StepProjection ProjectStep(const StepModel& step, const ClusterModel& cluster) {
  StepProjection projection;
  const int buckets = std::max(1, static_cast<int>(std::ceil(step.gradient_bytes / step.bucket_bytes)));
  const double bucket_bytes = step.gradient_bytes / buckets;
  const double per_bucket = AllreduceSeconds(bucket_bytes, cluster);
  projection.communication_seconds = per_bucket * buckets;
  const double backward = step.compute_seconds * step.backward_fraction;
  if (step.overlap) {
    // Bucket k is ready at (k+1)/K of the backward pass; the communicator all-reduces them one at a time.
    double finished = 0.0;
    for (int k = 0; k < buckets; ++k) {
      finished = std::max(finished, backward * (k + 1) / buckets) + per_bucket;
    }
    projection.exposed_seconds = std::max(0.0, finished - backward);
  } else {
    projection.exposed_seconds = projection.communication_seconds;
  }
  projection.step_seconds = step.compute_seconds + projection.exposed_seconds;
  projection.efficiency = step.compute_seconds / projection.step_seconds;
  return projection;
}

}  // namespace strobe
