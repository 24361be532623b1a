#ifndef STROBE_OPS_ALLREDUCE_COST_H_
#define STROBE_OPS_ALLREDUCE_COST_H_

#include <cstdint>
#include <vector>

namespace strobe {

// An alpha-beta model of the data plane, for planning cluster runs before booking them.
//
// A link is described the way nccl-tests reports collectives: a bus bandwidth (algorithm bandwidth x 2(N-1)/N for an
// all-reduce, so one figure holds for every N) and a latency per algorithm step.
struct LinkModel {
  double bus_gigabytes_per_s = 0.0;
  double step_latency_us = 0.0;
};

// N GPUs, gpus_per_node to a node: within one node the intra-node link limits, across nodes the inter-node one
// (every ring crosses a node boundary, so the NICs' bandwidth per node bounds the bus bandwidth).
struct ClusterModel {
  int gpus = 1;
  int gpus_per_node = 1;
  LinkModel intra_node;
  LinkModel inter_node;
};

// Seconds for one all-reduce of `bytes` (NCCL-style: the faster of a ring, 2(N-1) latency steps, and a tree, 2 log2 N
// latency steps, both moving 2(N-1)/N x bytes at the bus bandwidth). 0 for one GPU.
double AllreduceSeconds(double bytes, const ClusterModel& cluster);

// One synchronous data-parallel step of a model: `compute_seconds` (forward, backward, optimizer) per GPU, of which
// `backward_fraction` is the backward pass, during which the gradients become ready at an even rate in bytes.
struct StepModel {
  double compute_seconds = 0.0;
  double backward_fraction = 2.0 / 3.0;
  // The gradient buckets in the order backward fills them (PlanGradientBuckets): bucket k is ready once the bytes
  // of buckets 0..k are.
  std::vector<double> bucket_bytes;
  bool overlap = true;  // all-reduce a bucket as soon as it is ready, during the rest of the backward pass
};

struct StepProjection {
  double step_seconds = 0.0;
  double communication_seconds = 0.0;  // all buckets' all-reduces, back to back
  double exposed_seconds = 0.0;        // the part not hidden behind the backward pass
  double efficiency = 1.0;             // compute / step: throughput per GPU relative to one GPU
};

StepProjection ProjectStep(const StepModel& step, const ClusterModel& cluster);

}  // namespace strobe

#endif  // STROBE_OPS_ALLREDUCE_COST_H_
