#include "worker/buffer_snapshot.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace strobe {

BufferSnapshot::BufferSnapshot(std::vector<at::Tensor> buffers) : buffers_(std::move(buffers)) {
  for (size_t i = 0; i < buffers_.size(); ++i) {
    if (!buffers_[i].defined()) continue;
    auto same_kind = [&](const Group& group) {
      const at::Tensor& first = buffers_[group.members.front()];
      return first.scalar_type() == buffers_[i].scalar_type() && first.device() == buffers_[i].device();
    };
    auto group = std::find_if(groups_.begin(), groups_.end(), same_kind);
    if (group == groups_.end()) group = groups_.insert(groups_.end(), Group{});
    group->members.push_back(i);
  }
  for (Group& group : groups_) {
    std::vector<at::Tensor> flat;
    flat.reserve(group.members.size());
    for (size_t i : group.members) flat.push_back(buffers_[i].detach().reshape({-1}));
    group.flat = at::cat(flat);  // a new tensor, even for a single member
  }
}

void BufferSnapshot::Restore() const {
  for (const Group& group : groups_) {
    int64_t offset = 0;
    for (size_t i : group.members) {
      const at::Tensor& buffer = buffers_[i];
      const int64_t n = buffer.numel();
      buffer.detach().copy_(group.flat.slice(0, offset, offset + n).view(buffer.sizes()));
      offset += n;
    }
  }
}

}  // namespace strobe
