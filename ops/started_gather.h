#ifndef STROBE_OPS_STARTED_GATHER_H_
#define STROBE_OPS_STARTED_GATHER_H_

#include <ATen/core/Tensor.h>

#include "ops/communicator.h"

namespace strobe {

// An all-gather of one row per rank that travels with the all-reduces a step has started (its gradient buckets),
// so that it adds no round trip of its own: each rank puts its row into an otherwise zero [world_size, row] matrix,
// and the matrix is all-reduced by sum. That is an exact gather whatever order the backend adds in, since each
// element is one rank's value plus zeros (NaN and infinities included; only a negative zero comes back positive).
// It moves world_size times the row's bytes where a gather moves the row's: meant for a few values per rank (the
// MPI communicator sends a matrix over 64 KiB, some 480 ranks of a report's 17 values, by its blocking path, which
// first meets the other ranks at a barrier, as a large gradient bucket does).
class StartedGather {
 public:
  // Collective, ordered like Communicator::StartAllReduce: starts gathering `row` (1-D float64 on the device the
  // communicator carries). The caller must not start another gather before Collect().
  void Start(Communicator& communicator, const at::Tensor& row);
  // Waits for the gather (and every all-reduce started so far) and returns the rows, rank by rank, on the CPU.
  at::Tensor Collect(Communicator& communicator);
  bool started() const { return rows_.defined(); }

 private:
  at::Tensor rows_;
};

}  // namespace strobe

#endif  // STROBE_OPS_STARTED_GATHER_H_
