#ifndef STROBE_OPS_BACKGROUND_COMMUNICATOR_H_
#define STROBE_OPS_BACKGROUND_COMMUNICATOR_H_

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
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
// keeps the order of collectives the same on every rank. Destruction drops all-reduces still queued.
class BackgroundCommunicator final : public Communicator {
 public:
  explicit BackgroundCommunicator(std::unique_ptr<Communicator> inner);
  ~BackgroundCommunicator() override;
  BackgroundCommunicator(const BackgroundCommunicator&) = delete;
  BackgroundCommunicator& operator=(const BackgroundCommunicator&) = delete;

  int rank() const override { return inner_->rank(); }
  int world_size() const override { return inner_->world_size(); }
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
  struct Started {
    at::Tensor tensor;
    ReduceOp op;
    at::ScalarType wire;
  };
  void Serve();

  std::unique_ptr<Communicator> inner_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  std::deque<Started> queue_;  // guarded by mutex_, as are the three below
  bool busy_ = false;          // the thread is running an all-reduce taken off the queue
  bool stopping_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace strobe

#endif  // STROBE_OPS_BACKGROUND_COMMUNICATOR_H_
