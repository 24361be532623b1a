#include "ops/status_agreement.h"

#include <ATen/ATen.h>

#include <cstring>
#include <string>

#include "absl/strings/str_format.h"

namespace strobe {

absl::Status AgreeOnStatus(Communicator& communicator, const absl::Status& local) {
  at::Tensor code = at::full({1}, static_cast<int32_t>(local.code()), at::TensorOptions().dtype(at::kInt));
  const at::Tensor codes = communicator.AllGather(code);
  int failed_rank = -1;
  for (int r = 0; r < communicator.world_size(); ++r) {
    if (codes[r].item<int32_t>() != 0) {
      failed_rank = r;
      break;
    }
  }
  if (failed_rank < 0) return absl::OkStatus();

  std::string message = BroadcastText(communicator, std::string(local.message()), failed_rank);
  if (communicator.world_size() > 1) message = absl::StrFormat("rank %d: %s", failed_rank, message);
  return absl::Status(static_cast<absl::StatusCode>(codes[failed_rank].item<int32_t>()), message);
}

std::string BroadcastText(Communicator& communicator, const std::string& text, int root) {
  at::Tensor length = at::full({1}, static_cast<int64_t>(text.size()), at::TensorOptions().dtype(at::kLong));
  communicator.Broadcast(length, root);
  at::Tensor bytes = at::zeros({length.item<int64_t>()}, at::TensorOptions().dtype(at::kByte));
  if (communicator.rank() == root) std::memcpy(bytes.data_ptr(), text.data(), text.size());
  communicator.Broadcast(bytes, root);
  return std::string(static_cast<const char*>(bytes.data_ptr()), bytes.numel());
}

std::optional<RankDifference> FirstRankThatDiffers(Communicator& communicator, int64_t value) {
  const at::Tensor values = communicator.AllGather(at::full({1}, value, at::kLong));
  const int64_t rank0_value = values[0].item<int64_t>();
  for (int rank = 1; rank < communicator.world_size(); ++rank) {
    const int64_t other = values[rank].item<int64_t>();
    if (other != rank0_value) return RankDifference{rank, other, rank0_value};
  }
  return std::nullopt;
}

}  // namespace strobe
