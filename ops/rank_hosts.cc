#include "ops/rank_hosts.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>

namespace strobe {

std::vector<std::string> GatherRankHosts(Communicator& communicator, const std::string& host) {
  constexpr int64_t kSlot = 256;  // fixed-size slots keep it to one all-gather; NUL-padded
  at::Tensor mine = at::zeros({kSlot}, at::kByte);
  std::memcpy(mine.data_ptr(), host.data(), std::min<size_t>(host.size(), kSlot - 1));
  const at::Tensor all = communicator.AllGather(mine).contiguous();
  std::vector<std::string> hosts;
  for (int rank = 0; rank < communicator.world_size(); ++rank) {
    hosts.emplace_back(reinterpret_cast<const char*>(all.data_ptr<uint8_t>() + rank * kSlot));
  }
  return hosts;
}

}  // namespace strobe
