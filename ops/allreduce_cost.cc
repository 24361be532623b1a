#include "ops/allreduce_cost.h"

#include <algorithm>
#include <cmath>
#include <numeric>

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
  const double total_bytes = std::accumulate(step.bucket_bytes.begin(), step.bucket_bytes.end(), 0.0);
  const double backward = step.compute_seconds * step.backward_fraction;
  double ready_bytes = 0.0;
  double finished = 0.0;  // the communicator all-reduces the buckets one at a time, in order
  for (const double bytes : step.bucket_bytes) {
    const double seconds = AllreduceSeconds(bytes, cluster);
    ready_bytes += bytes;
    projection.communication_seconds += seconds;
    finished = std::max(finished, backward * ready_bytes / total_bytes) + seconds;
  }
  projection.exposed_seconds =
      step.overlap ? std::max(0.0, finished - backward) : projection.communication_seconds;
  projection.step_seconds = step.compute_seconds + projection.exposed_seconds;
  projection.efficiency = step.compute_seconds / projection.step_seconds;
  return projection;
}

}  // namespace strobe
