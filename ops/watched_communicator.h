#ifndef STROBE_OPS_WATCHED_COMMUNICATOR_H_
#define STROBE_OPS_WATCHED_COMMUNICATOR_H_

#include "ops/communicator.h"
#include "ops/progress_beacon.h"

namespace strobe {

// A Communicator that marks every collective on a ProgressBeacon (all-reduces as kAllReduce, the others as
// kCollective) and forwards it unchanged, so the stall watchdog can tell a rank that waits for its peers from one
// that works, whatever part of the program issued the collective.
class WatchedCommunicator : public Communicator {
 public:
  WatchedCommunicator(Communicator& inner, ProgressBeacon& beacon) : inner_(inner), beacon_(beacon) {}

  int rank() const override { return inner_.rank(); }
  int world_size() const override { return inner_.world_size(); }
  void AllReduce(at::Tensor& tensor, ReduceOp op) override;
  void Broadcast(at::Tensor& tensor, int root) override;
  at::Tensor AllGather(const at::Tensor& tensor) override;
  at::Tensor SendReceive(const at::Tensor& tensor, int destination, int source) override;
  void Barrier() override;
  void StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) override;
  void FinishAllReduces() override;

 private:
  Communicator& inner_;
  ProgressBeacon& beacon_;
};

}  // namespace strobe

#endif  // STROBE_OPS_WATCHED_COMMUNICATOR_H_
