#ifndef STROBE_WORKER_BUFFER_SNAPSHOT_H_
#define STROBE_WORKER_BUFFER_SNAPSHOT_H_

#include <ATen/core/Tensor.h>

#include <vector>

namespace strobe {

// A copy of a model's buffers (BatchNorm's running statistics and batch counters) to put back when a step is
// skipped: its forward pass has already folded the batch into them, and a NaN folded in would stay for good, since
// every later update averages with it. One flat copy per dtype, not one per buffer: ResNet-50 has over a hundred
// buffers, which would be as many kernel launches every step on a GPU.
class BufferSnapshot {
 public:
  // Copies `buffers` now; Restore() writes the copies back into the same tensors.
  explicit BufferSnapshot(std::vector<at::Tensor> buffers);
  void Restore() const;

 private:
  struct Group {
    std::vector<size_t> members;  // indices into buffers_, all of one dtype and device
    at::Tensor flat;              // their values, concatenated
  };
  std::vector<at::Tensor> buffers_;
  std::vector<Group> groups_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_BUFFER_SNAPSHOT_H_
