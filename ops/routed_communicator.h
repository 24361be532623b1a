#ifndef STROBE_OPS_ROUTED_COMMUNICATOR_H_
#define STROBE_OPS_ROUTED_COMMUNICATOR_H_

#include <memory>

#include "ops/communicator.h"

namespace strobe {

// The communicator of a GPU run: CUDA tensors (gradients, weights, the step's control word, mixing partners) go
// over the device backend (NCCL), CPU tensors (metrics, checksums, agreement on errors) over the host backend
// (MPI). Training code keeps calling one communicator wherever its tensors live. Both backends span the same ranks.
class RoutedCommunicator final : public Communicator {
 public:
  RoutedCommunicator(std::unique_ptr<Communicator> host, std::unique_ptr<Communicator> device);

  int rank() const override { return host_->rank(); }
  int world_size() const override { return host_->world_size(); }
  void AllReduce(at::Tensor& tensor, ReduceOp op) override { For(tensor).AllReduce(tensor, op); }
  void Broadcast(at::Tensor& tensor, int root) override { For(tensor).Broadcast(tensor, root); }
  at::Tensor AllGather(const at::Tensor& tensor) override { return For(tensor).AllGather(tensor); }
  at::Tensor SendReceive(const at::Tensor& tensor, int destination, int source) override {
    return For(tensor).SendReceive(tensor, destination, source);
  }
  void Barrier() override { host_->Barrier(); }
  void StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) override {
    For(tensor).StartAllReduce(tensor, op, wire);
  }
  void FinishAllReduces() override {
    host_->FinishAllReduces();
    device_->FinishAllReduces();
  }

 private:
  Communicator& For(const at::Tensor& tensor) { return tensor.is_cuda() ? *device_ : *host_; }

  std::unique_ptr<Communicator> host_;
  std::unique_ptr<Communicator> device_;
};

}  // namespace strobe

#endif  // STROBE_OPS_ROUTED_COMMUNICATOR_H_
