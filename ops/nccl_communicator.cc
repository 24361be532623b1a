#include "ops/nccl_communicator.h"

#include <ATen/ATen.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "absl/strings/str_format.h"
#include "ops/gpu_per_rank_check.h"
#include "ops/mpi_check.h"

namespace strobe {
namespace {

ncclDataType_t ToNcclType(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return ncclFloat32;
    case at::kDouble: return ncclFloat64;
    case at::kHalf: return ncclFloat16;
    case at::kBFloat16: return ncclBfloat16;
    case at::kInt: return ncclInt32;
    case at::kLong: return ncclInt64;
    case at::kByte: return ncclUint8;
    default:
      throw std::invalid_argument(
          absl::StrFormat("NcclCommunicator: dtype %s is not supported", std::string(c10::toString(type))));
  }
}

void CheckCudaContiguous(const at::Tensor& tensor, const char* op) {
  if (!tensor.defined() || !tensor.is_cuda() || !tensor.is_contiguous()) {
    throw std::invalid_argument(
        absl::StrFormat("NcclCommunicator::%s needs a defined, contiguous CUDA tensor", op));
  }
}

}  // namespace

NcclCommunicator::NcclCommunicator(const DistributedContext& context)
    : rank_(context.rank), world_size_(context.world_size), device_(context.local_rank), host_(context.host) {
  int device_count = 0;
  if (cudaGetDeviceCount(&device_count) != cudaSuccess) device_count = 0;
  if (const absl::Status placed = CheckOneGpuPerRank(context, device_count); !placed.ok()) {
    throw std::runtime_error(std::string(placed.message()));
  }
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_));
  ncclUniqueId id;
  if (rank_ == 0) {
    const ncclResult_t result = ncclGetUniqueId(&id);
    Check(result, "ncclGetUniqueId");
  }
  STROBE_MPI_CHECK(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD));
  Check(ncclCommInitRank(&comm_, world_size_, id, rank_), "ncclCommInitRank");
  reduce_stream_ = c10::cuda::getStreamFromPool(/*isHighPriority=*/true, static_cast<c10::DeviceIndex>(device_));
  watchdog_ = std::thread([this] { WatchForAsyncErrors(); });
}

NcclCommunicator::~NcclCommunicator() {
  stop_watchdog_ = true;
  if (watchdog_.joinable()) watchdog_.join();
  if (comm_ != nullptr) ncclCommDestroy(comm_);
}

void NcclCommunicator::Check(ncclResult_t result, const char* operation) {
  last_operation_ = operation;
  if (result != ncclSuccess) Fail(result, operation);
}

void NcclCommunicator::Fail(ncclResult_t result, const char* operation) const {
  std::fprintf(stderr, "strobe: rank %d on %s (GPU %d): NCCL %s failed: %s (NCCL %d.%d.%d)\n", rank_,
               host_.c_str(), device_, operation, ncclGetErrorString(result), NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH);
  std::fflush(stderr);
  if (comm_ != nullptr) ncclCommAbort(comm_);
  AbortDistributed(4);
}

// Errors inside a running collective (a peer's network failing, say) are not returned by any call: the host
// would wait for the collective's stream forever. Polling the communicator's asynchronous error turns them into
// the same named failure.
void NcclCommunicator::WatchForAsyncErrors() {
  while (!stop_watchdog_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ncclResult_t error = ncclSuccess;
    if (comm_ == nullptr || ncclCommGetAsyncError(comm_, &error) != ncclSuccess) continue;
    if (error != ncclSuccess && error != ncclInProgress) Fail(error, last_operation_.load());
  }
}

void NcclCommunicator::AllReduce(at::Tensor& tensor, ReduceOp op) {
  CheckCudaContiguous(tensor, "AllReduce");
  c10::cuda::CUDAGuard guard(tensor.device());
  const ncclRedOp_t nccl_op = op == ReduceOp::kMax ? ncclMax : (op == ReduceOp::kAverage ? ncclAvg : ncclSum);
  const ncclResult_t result =
      ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), ToNcclType(tensor.scalar_type()),
                    nccl_op, comm_, c10::cuda::getCurrentCUDAStream().stream());
  Check(result, "AllReduce");
}

void NcclCommunicator::Broadcast(at::Tensor& tensor, int root) {
  CheckCudaContiguous(tensor, "Broadcast");
  c10::cuda::CUDAGuard guard(tensor.device());
  const ncclResult_t result =
      ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), ToNcclType(tensor.scalar_type()), root,
                    comm_, c10::cuda::getCurrentCUDAStream().stream());
  Check(result, "Broadcast");
}

at::Tensor NcclCommunicator::AllGather(const at::Tensor& tensor) {
  CheckCudaContiguous(tensor, "AllGather");
  c10::cuda::CUDAGuard guard(tensor.device());
  std::vector<int64_t> shape{world_size_};
  shape.insert(shape.end(), tensor.sizes().begin(), tensor.sizes().end());
  at::Tensor gathered = at::empty(shape, tensor.options());
  const ncclResult_t result =
      ncclAllGather(tensor.data_ptr(), gathered.data_ptr(), tensor.numel(), ToNcclType(tensor.scalar_type()),
                    comm_, c10::cuda::getCurrentCUDAStream().stream());
  Check(result, "AllGather");
  return gathered;
}

at::Tensor NcclCommunicator::SendReceive(const at::Tensor& tensor, int destination, int source) {
  CheckCudaContiguous(tensor, "SendReceive");
  c10::cuda::CUDAGuard guard(tensor.device());
  at::Tensor received = at::empty_like(tensor);
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  const ncclDataType_t type = ToNcclType(tensor.scalar_type());
  // Grouped so that the send and the receive progress together instead of deadlocking on each other.
  ncclResult_t result = ncclGroupStart();
  if (result == ncclSuccess) result = ncclSend(tensor.data_ptr(), tensor.numel(), type, destination, comm_, stream);
  if (result == ncclSuccess) result = ncclRecv(received.data_ptr(), tensor.numel(), type, source, comm_, stream);
  const ncclResult_t ended = ncclGroupEnd();
  Check(result, "SendReceive");
  Check(ended, "SendReceive");
  return received;
}

void NcclCommunicator::Barrier() {
  // A one-element all-reduce, waited for on the host: NCCL has no barrier of its own.
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_));
  at::Tensor token = at::zeros({1}, at::TensorOptions().dtype(at::kFloat).device(at::kCUDA, device_));
  AllReduce(token, ReduceOp::kSum);
  c10::cuda::getCurrentCUDAStream().synchronize();
}

void NcclCommunicator::StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) {
  CheckCudaContiguous(tensor, "StartAllReduce");
  c10::cuda::CUDAGuard guard(tensor.device());
  inputs_ready_.record(c10::cuda::getCurrentCUDAStream());
  inputs_ready_.block(*reduce_stream_);
  c10::cuda::CUDAStreamGuard on_reduce_stream(*reduce_stream_);
  // The conversion to the wire type, the collective and the conversion back all run on the reduce stream.
  Communicator::StartAllReduce(tensor, op, wire);
  started_ = true;
}

void NcclCommunicator::FinishAllReduces() {
  if (!started_) return;
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_));
  reduced_.record(*reduce_stream_);
  reduced_.block(c10::cuda::getCurrentCUDAStream());
  started_ = false;
}

}  // namespace strobe
