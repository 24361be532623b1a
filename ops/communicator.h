#ifndef STROBE_OPS_COMMUNICATOR_H_
#define STROBE_OPS_COMMUNICATOR_H_

#include <ATen/core/Tensor.h>

#include <memory>

#include "absl/status/statusor.h"
#include "ops/distributed_context.h"

namespace strobe {

enum class ReduceOp { kSum, kAverage, kMax };

// The data plane: collectives on tensors across every rank of the job.
//
// Contract (as in MPI and NCCL): every rank calls the same collectives in the same order with tensors of the
// same shape and dtype; calls block the calling thread until the result is usable on the tensor's device.
// Tensors must be contiguous. Backends never call each other, and training code never sees MPI or NCCL.
class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;

  // In place: `tensor` holds the reduction over all ranks afterwards. kAverage divides by world_size.
  virtual void AllReduce(at::Tensor& tensor, ReduceOp op) = 0;
  // In place: every rank's `tensor` holds root's values afterwards.
  virtual void Broadcast(at::Tensor& tensor, int root) = 0;
  // Returns a tensor of shape [world_size, *tensor.shape] whose row r is rank r's `tensor`.
  virtual at::Tensor AllGather(const at::Tensor& tensor) = 0;
  // Sends `tensor` to rank `destination` and returns what rank `source` sent this rank (same shape and dtype).
  // Every rank calls it in the same step; the destinations must form a permutation of the ranks.
  virtual at::Tensor SendReceive(const at::Tensor& tensor, int destination, int source) = 0;
  virtual void Barrier() = 0;

  // Starts an in-place all-reduce that may still be running when this returns, so that the caller can go on
  // queuing work (gradient buckets all-reduced while backward continues). It is ordered after the work already
  // queued on the caller's CUDA stream and runs on the backend's own stream; FinishAllReduces() orders the
  // caller's later work after every started all-reduce, without a host synchronisation. The values travel as
  // `wire` (a narrower float type than the tensor's compresses them; the result is converted back). Started and
  // blocking collectives must come in the same order on every rank. Backends that cannot overlap (this default)
  // complete the all-reduce before returning.
  virtual void StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire);
  virtual void FinishAllReduces() {}
};

enum class CommBackend { kMpi, kNccl };

// Every rank must call this collectively. kMpi: CPU tensors over MPI, started all-reduces on a thread of their own
// (ops/background_communicator.h). kNccl (CUDA builds only): CUDA tensors over
// NCCL and CPU tensors over MPI (ops/routed_communicator.h).
absl::StatusOr<std::unique_ptr<Communicator>> MakeCommunicator(CommBackend backend,
                                                               const DistributedContext& context);

}  // namespace strobe

#endif  // STROBE_OPS_COMMUNICATOR_H_
