#ifndef STROBE_OPS_MPI_COMMUNICATOR_H_
#define STROBE_OPS_MPI_COMMUNICATOR_H_

#include <mpi.h>

#include "ops/communicator.h"

namespace strobe {

// Collectives on CPU tensors over a private duplicate of `base` (MPI_COMM_WORLD by default), so other MPI traffic
// cannot interleave with Strobe's.
// Supports float32/64, int32/64 and uint8 tensors; counts above INT_MAX are split into several calls.
// A rank that waits for late peers sleeps (WaitWithoutSpinning) instead of polling: collectives of up to 64 KiB
// are non-blocking, so a peer stopped inside one leaves the others asleep; larger ones (gradient buckets) block,
// for speed, after a non-blocking barrier, so that they start with every rank present and awake; a peer stopped
// inside one still makes the others poll. Of the large started all-reduces between two FinishAllReduces (one step's
// buckets) only the first waits at a barrier: its completion shows every rank inside the same backward pass, and a
// barrier per further bucket cost one network latency each (docs/benchmarks.md, "Across hosts").
class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm base = MPI_COMM_WORLD);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  void AllReduce(at::Tensor& tensor, ReduceOp op) override;
  void Broadcast(at::Tensor& tensor, int root) override;
  at::Tensor AllGather(const at::Tensor& tensor) override;
  at::Tensor SendReceive(const at::Tensor& tensor, int destination, int source) override;
  void Barrier() override;
  void StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) override;
  void FinishAllReduces() override { ranks_met_since_finish_ = false; }

 private:
  // Returns once every rank has called it.
  void AwaitEveryRank();
  // AllReduce, waiting at a barrier before large chunks only if `await_ranks`.
  void AllReduceAfter(at::Tensor& tensor, ReduceOp op, bool await_ranks);

  // A started all-reduce large enough to block completed since the last FinishAllReduces: every rank was in it.
  bool ranks_met_since_finish_ = false;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int world_size_ = 1;
};

}  // namespace strobe

#endif  // STROBE_OPS_MPI_COMMUNICATOR_H_
