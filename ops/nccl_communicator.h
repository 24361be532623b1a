#ifndef STROBE_OPS_NCCL_COMMUNICATOR_H_
#define STROBE_OPS_NCCL_COMMUNICATOR_H_

// Compiled only in CUDA builds (STROBE_WITH_CUDA).
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>
#include <nccl.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "ops/communicator.h"

namespace strobe {

// Collectives on CUDA tensors with NCCL. The unique id travels from rank 0 over MPI (the control plane); each
// rank drives GPU `context.local_rank`. Collectives are enqueued on the caller's current CUDA stream, so results
// are ordered before any later work on that stream without a host synchronisation. Started all-reduces run on a
// dedicated stream of their own, ordered against the caller's stream by CUDA events.
//
// On any NCCL error, returned by a call or raised later inside a running collective (a watchdog thread polls for
// those), the message names the rank, host, GPU and operation, and the communicator is aborted before the job is,
// so that peers blocked in a collective are released instead of hanging.
class NcclCommunicator final : public Communicator {
 public:
  explicit NcclCommunicator(const DistributedContext& context);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  void AllReduce(at::Tensor& tensor, ReduceOp op) override;
  void Broadcast(at::Tensor& tensor, int root) override;
  at::Tensor AllGather(const at::Tensor& tensor) override;
  at::Tensor SendReceive(const at::Tensor& tensor, int destination, int source) override;
  void Barrier() override;
  void StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) override;
  void FinishAllReduces() override;

 private:
  void Check(ncclResult_t result, const char* operation);
  [[noreturn]] void Fail(ncclResult_t result, const char* operation) const;
  void WatchForAsyncErrors();

  ncclComm_t comm_ = nullptr;
  std::optional<c10::cuda::CUDAStream> reduce_stream_;
  at::cuda::CUDAEvent inputs_ready_;
  at::cuda::CUDAEvent reduced_;
  bool started_ = false;
  std::atomic<const char*> last_operation_{"none"};
  std::atomic<bool> stop_watchdog_{false};
  std::thread watchdog_;
  int rank_ = 0;
  int world_size_ = 1;
  int device_ = 0;
  std::string host_;
};

}  // namespace strobe

#endif  // STROBE_OPS_NCCL_COMMUNICATOR_H_
