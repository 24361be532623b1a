#include "ops/mpi_communicator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

#include "absl/strings/str_format.h"
#include "ops/bucket_plan.h"
#include "ops/mpi_check.h"
#include "ops/mpi_wait.h"

namespace strobe {
namespace {

MPI_Datatype ToMpiType(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return MPI_FLOAT;
    case at::kDouble: return MPI_DOUBLE;
    case at::kInt: return MPI_INT32_T;
    case at::kLong: return MPI_INT64_T;
    case at::kByte: return MPI_UINT8_T;
    default:
      throw std::invalid_argument(
          absl::StrFormat("MpiCommunicator: dtype %s is not supported", std::string(c10::toString(type))));
  }
}

MPI_Op ToMpiOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAverage: return MPI_SUM;
    case ReduceOp::kMax: return MPI_MAX;
  }
  return MPI_SUM;
}

void CheckCpuContiguous(const at::Tensor& tensor, const char* op) {
  if (!tensor.defined() || !tensor.device().is_cpu() || !tensor.is_contiguous()) {
    throw std::invalid_argument(
        absl::StrFormat("MpiCommunicator::%s needs a defined, contiguous CPU tensor", op));
  }
}

// MPI counts are int; a tensor with more elements is processed in chunks that each fit.
template <typename Fn>
void ForEachChunk(const at::Tensor& tensor, Fn&& fn) {
  const int64_t total = tensor.numel();
  const int64_t chunk = INT_MAX / 2;
  auto* base = static_cast<char*>(tensor.data_ptr());
  for (int64_t begin = 0; begin < total; begin += chunk) {
    const int count = static_cast<int>(std::min(chunk, total - begin));
    fn(base + begin * tensor.element_size(), count);
  }
}

// Small messages (the control word, reports, counts, agreements) travel in non-blocking collectives, completed
// without spinning, so a peer stopped inside one (SIGSTOP, a hung host) leaves this rank asleep. Large ones use the
// blocking collectives: Open MPI's non-blocking ones (libnbc) move large buffers at under half the speed
// (grad_sync_bench, ResNet-50's gradients on 2 ranks: 49 to 62 ms against 22 to 32 ms, also in 1 MiB buckets).
constexpr int64_t kNonBlockingBytes = 64 * 1024;
static_assert(kNonBlockingBytes < kMinCutBucketBytes,
              "a small model's gradient buckets must go through the blocking all-reduce, whose algorithm keeps their "
              "addition order (ops/bucket_plan.h)");

// Runs `blocking` once every rank has arrived (`await_every_rank`), or for at most kNonBlockingBytes
// `start_non_blocking` (which starts the same collective into the request it is given) and waits for it without
// spinning: that wait needs no barrier before it, which would cost a small collective a second network round trip.
template <typename AwaitEveryRank, typename Blocking, typename StartNonBlocking>
void RunCollective(int64_t bytes, AwaitEveryRank&& await_every_rank, Blocking&& blocking,
                   StartNonBlocking&& start_non_blocking) {
  if (bytes > kNonBlockingBytes) {
    await_every_rank();
    blocking();
    return;
  }
  MPI_Request request;
  start_non_blocking(&request);
  WaitWithoutSpinning(&request, 1);
}

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm base) {
  STROBE_MPI_CHECK(MPI_Comm_dup(base, &comm_));
  STROBE_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  STROBE_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  STROBE_MPI_CHECK(MPI_Comm_size(comm_, &world_size_));
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void MpiCommunicator::AllReduce(at::Tensor& tensor, ReduceOp op) { AllReduceAfter(tensor, op, true); }

void MpiCommunicator::StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) {
  if (wire != tensor.scalar_type()) {  // converted as any backend does (16-bit types have no MPI type)
    Communicator::StartAllReduce(tensor, op, wire);
    return;
  }
  AllReduceAfter(tensor, op, !ranks_met_since_finish_);
  // Only a collective that waited at a barrier, or blocked, shows every rank at this point of the step: a small one
  // (the control word, started before the forward pass) completes while a peer may still be far from backward.
  ranks_met_since_finish_ = ranks_met_since_finish_ || tensor.nbytes() > kNonBlockingBytes;
}

void MpiCommunicator::AllReduceAfter(at::Tensor& tensor, ReduceOp op, bool await_ranks) {
  CheckCpuContiguous(tensor, "AllReduce");
  const MPI_Datatype type = ToMpiType(tensor.scalar_type());
  if (world_size_ > 1) {
    ForEachChunk(tensor, [&](void* data, int count) {
      RunCollective(
          count * tensor.element_size(), [&] { if (await_ranks) AwaitEveryRank(); },
          [&] { STROBE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data, count, type, ToMpiOp(op), comm_)); },
          [&](MPI_Request* request) {
            STROBE_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, data, count, type, ToMpiOp(op), comm_, request));
          });
    });
  }
  if (op == ReduceOp::kAverage && world_size_ > 1) {
    if (at::isIntegralType(tensor.scalar_type(), /*includeBool=*/true)) {
      tensor.div_(world_size_, "floor");
    } else {
      tensor.div_(world_size_);
    }
  }
}

void MpiCommunicator::Broadcast(at::Tensor& tensor, int root) {
  CheckCpuContiguous(tensor, "Broadcast");
  const MPI_Datatype type = ToMpiType(tensor.scalar_type());
  if (world_size_ == 1) return;
  ForEachChunk(tensor, [&](void* data, int count) {
    RunCollective(
        count * tensor.element_size(), [&] { AwaitEveryRank(); },
        [&] { STROBE_MPI_CHECK(MPI_Bcast(data, count, type, root, comm_)); },
        [&](MPI_Request* request) { STROBE_MPI_CHECK(MPI_Ibcast(data, count, type, root, comm_, request)); });
  });
}

at::Tensor MpiCommunicator::AllGather(const at::Tensor& tensor) {
  CheckCpuContiguous(tensor, "AllGather");
  std::vector<int64_t> shape{world_size_};
  shape.insert(shape.end(), tensor.sizes().begin(), tensor.sizes().end());
  at::Tensor gathered = at::empty(shape, tensor.options());
  const int64_t count = tensor.numel();
  if (count > INT_MAX) {
    throw std::invalid_argument("MpiCommunicator::AllGather: tensor larger than INT_MAX elements");
  }
  const MPI_Datatype type = ToMpiType(tensor.scalar_type());
  RunCollective(
      gathered.nbytes(), [&] { AwaitEveryRank(); },
      [&] {
        STROBE_MPI_CHECK(MPI_Allgather(tensor.data_ptr(), static_cast<int>(count), type, gathered.data_ptr(),
                                       static_cast<int>(count), type, comm_));
      },
      [&](MPI_Request* request) {
        STROBE_MPI_CHECK(MPI_Iallgather(tensor.data_ptr(), static_cast<int>(count), type, gathered.data_ptr(),
                                        static_cast<int>(count), type, comm_, request));
      });
  return gathered;
}

at::Tensor MpiCommunicator::SendReceive(const at::Tensor& tensor, int destination, int source) {
  CheckCpuContiguous(tensor, "SendReceive");
  at::Tensor received = at::empty_like(tensor);
  if (destination == rank_ && source == rank_) return received.copy_(tensor);
  const MPI_Datatype type = ToMpiType(tensor.scalar_type());
  if (tensor.numel() > INT_MAX) {
    throw std::invalid_argument("MpiCommunicator::SendReceive: tensor larger than INT_MAX elements");
  }
  const int count = static_cast<int>(tensor.numel());
  constexpr int kTag = 17;
  MPI_Request requests[2];
  STROBE_MPI_CHECK(MPI_Irecv(received.data_ptr(), count, type, source, kTag, comm_, &requests[0]));
  STROBE_MPI_CHECK(MPI_Isend(tensor.data_ptr(), count, type, destination, kTag, comm_, &requests[1]));
  WaitWithoutSpinning(requests, 2);
  return received;
}

void MpiCommunicator::Barrier() {
  if (world_size_ > 1) AwaitEveryRank();
}

void MpiCommunicator::AwaitEveryRank() {
  MPI_Request arrived;
  STROBE_MPI_CHECK(MPI_Ibarrier(comm_, &arrived));
  WaitWithoutSpinning(&arrived, 1);
}

}  // namespace strobe
