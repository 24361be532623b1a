#include "ops/started_gather.h"

#include <ATen/ATen.h>

#include <utility>

namespace strobe {

void StartedGather::Start(Communicator& communicator, const at::Tensor& row) {
  TORCH_CHECK(!started(), "StartedGather::Start: the last gather was not collected");
  TORCH_CHECK(row.dim() == 1 && row.scalar_type() == at::kDouble, "StartedGather::Start: needs a 1-D float64 row");
  rows_ = at::zeros({communicator.world_size(), row.numel()}, row.options());
  rows_.select(0, communicator.rank()).copy_(row);
  communicator.StartAllReduce(rows_, ReduceOp::kSum, at::kDouble);
}

at::Tensor StartedGather::Collect(Communicator& communicator) {
  TORCH_CHECK(started(), "StartedGather::Collect: nothing was started");
  communicator.FinishAllReduces();
  at::Tensor rows = std::exchange(rows_, at::Tensor());
  return rows.cpu();
}

}  // namespace strobe
