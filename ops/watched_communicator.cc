#include "ops/watched_communicator.h"

namespace strobe {

void WatchedCommunicator::AllReduce(at::Tensor& tensor, ReduceOp op) {
  PhaseScope phase(&beacon_, RunPhase::kAllReduce);
  inner_.AllReduce(tensor, op);
}

void WatchedCommunicator::Broadcast(at::Tensor& tensor, int root) {
  PhaseScope phase(&beacon_, RunPhase::kCollective);
  inner_.Broadcast(tensor, root);
}

at::Tensor WatchedCommunicator::AllGather(const at::Tensor& tensor) {
  PhaseScope phase(&beacon_, RunPhase::kCollective);
  return inner_.AllGather(tensor);
}

at::Tensor WatchedCommunicator::SendReceive(const at::Tensor& tensor, int destination, int source) {
  PhaseScope phase(&beacon_, RunPhase::kCollective);
  return inner_.SendReceive(tensor, destination, source);
}

void WatchedCommunicator::Barrier() {
  PhaseScope phase(&beacon_, RunPhase::kCollective);
  inner_.Barrier();
}

void WatchedCommunicator::StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) {
  PhaseScope phase(&beacon_, RunPhase::kAllReduce);
  inner_.StartAllReduce(tensor, op, wire);
}

void WatchedCommunicator::FinishAllReduces() {
  PhaseScope phase(&beacon_, RunPhase::kAllReduce);
  inner_.FinishAllReduces();
}

}  // namespace strobe
