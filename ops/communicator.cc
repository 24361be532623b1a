#include "ops/communicator.h"

#include <ATen/ATen.h>

#include <exception>

#include "absl/strings/str_cat.h"
#include "ops/background_communicator.h"
#include "ops/mpi_communicator.h"
#ifdef STROBE_WITH_CUDA
#include "ops/nccl_communicator.h"
#include "ops/routed_communicator.h"
#endif

namespace strobe {

void Communicator::StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) {
  if (wire == tensor.scalar_type()) {
    AllReduce(tensor, op);
    return;
  }
  at::Tensor on_wire = tensor.to(wire);
  AllReduce(on_wire, op);
  tensor.copy_(on_wire);
}

absl::StatusOr<std::unique_ptr<Communicator>> MakeCommunicator(CommBackend backend,
                                                               const DistributedContext& context) {
  switch (backend) {
    case CommBackend::kMpi:
      return std::unique_ptr<Communicator>(
          std::make_unique<BackgroundCommunicator>(std::make_unique<MpiCommunicator>()));
    case CommBackend::kNccl:
#ifdef STROBE_WITH_CUDA
      try {
        return std::unique_ptr<Communicator>(std::make_unique<RoutedCommunicator>(
            std::make_unique<MpiCommunicator>(), std::make_unique<NcclCommunicator>(context)));
      } catch (const std::exception& error) {
        return absl::FailedPreconditionError(error.what());
      }
#else
      return absl::FailedPreconditionError(
          "the NCCL backend needs a CUDA build of Strobe (configure with a CUDA LibTorch; see README)");
#endif
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown communicator backend ", static_cast<int>(backend)));
}

}  // namespace strobe
