#ifndef STROBE_OPS_BACKGROUND_COMMUNICATOR_H_
#define STROBE_OPS_BACKGROUND_COMMUNICATOR_H_

#include <memory>
#include <thread>

#include "ops/communicator.h"

namespace strobe {

// Gives a communicator whose collectives all block (MPI on the CPU) the overlap that NCCL has on GPUs:
// StartAllReduce() queues the all-reduce for a thread of its own and returns at once, so backward goes on computing
// while each finished gradient bucket travels; FinishAllReduces() waits for the queue to empty.
//
// The background thread makes exactly the calls the caller would have made, in the same order, with the same
// tensors, so results are bitwise those of the blocking communicator. The inner communicator is used by one thread
// at a time (MPI_THREAD_SERIALIZED suffices): every other collective first waits for the started ones, which also
// keeps the order of collectives the same on every rank.
//
// Destruction drops the all-reduces still queued. It does not wait for one that is running: the caller only leaves
// a step with a collective in flight on an error, and the peers that collective waits for may never come (a
// stopped rank), so the error goes on to the top, which ends the whole job without another MPI call
// (NoteMpiCallLeftRunning); the thread keeps the inner communicator, never destroyed, until the process exits.
class BackgroundCommunicator final : public Communicator {
 public:
  explicit BackgroundCommunicator(std::unique_ptr<Communicator> inner);
  ~BackgroundCommunicator() override;
  BackgroundCommunicator(const BackgroundCommunicator&) = delete;
  BackgroundCommunicator& operator=(const BackgroundCommunicator&) = delete;

  int rank() const override;
  int world_size() const override;
  void AllReduce(at::Tensor& tensor, ReduceOp op) override;
  void Broadcast(at::Tensor& tensor, int root) override;
  at::Tensor AllGather(const at::Tensor& tensor) override;
  at::Tensor SendReceive(const at::Tensor& tensor, int destination, int source) override;
  void Barrier() override;
  // The caller must not touch `tensor` until FinishAllReduces() returns.
  void StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) override;
  // Rethrows the first error a started all-reduce raised.
  void FinishAllReduces() override;

 private:
  struct Queue;  // shared with the thread, which may outlive this object

  static void Serve(Queue& queue);

  std::shared_ptr<Queue> queue_;
  std::thread thread_;
};

}  // namespace strobe

#endif  // STROBE_OPS_BACKGROUND_COMMUNICATOR_H_
