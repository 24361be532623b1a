#include "ops/gradient_bucketer.h"

#include <ATen/ATen.h>

#include <map>
#include <numeric>
#include <stdexcept>

namespace strobe {
namespace {

std::vector<int> ReverseOrder(size_t count) {
  std::vector<int> order(count);
  std::iota(order.rbegin(), order.rend(), 0);
  return order;
}

// Runs `collective` on one flat buffer per dtype holding `tensors`, then copies the results back.
template <typename Collective>
void ApplyFlat(const std::vector<at::Tensor>& tensors, Collective&& collective) {
  std::map<at::ScalarType, std::vector<at::Tensor>> by_dtype;
  for (const at::Tensor& tensor : tensors) by_dtype[tensor.scalar_type()].push_back(tensor);
  for (auto& [dtype, group] : by_dtype) {
    std::vector<at::Tensor> flat_views;
    flat_views.reserve(group.size());
    for (const at::Tensor& tensor : group) flat_views.push_back(tensor.detach().reshape({-1}));
    at::Tensor flat = at::cat(flat_views);
    collective(flat);
    int64_t offset = 0;
    for (at::Tensor& tensor : group) {
      const int64_t numel = tensor.numel();
      tensor.detach().view({-1}).copy_(flat.narrow(0, offset, numel));
      offset += numel;
    }
  }
}

}  // namespace

GradientBucketer::GradientBucketer(Communicator& communicator, std::vector<at::Tensor> parameters,
                                   int64_t cap_bytes)
    : communicator_(communicator), parameters_(std::move(parameters)) {
  if (parameters_.empty()) throw std::invalid_argument("GradientBucketer: no parameters");
  std::vector<int64_t> numels;
  for (const at::Tensor& parameter : parameters_) {
    if (parameter.scalar_type() != parameters_[0].scalar_type() ||
        parameter.device() != parameters_[0].device()) {
      throw std::invalid_argument("GradientBucketer: parameters must share one dtype and device");
    }
    numels.push_back(parameter.numel());
  }
  plan_ = PlanBuckets(numels, ReverseOrder(parameters_.size()), parameters_[0].element_size(), cap_bytes);
  for (const Bucket& bucket : plan_) {
    at::Tensor buffer = at::zeros({bucket.numel}, parameters_[0].options());
    for (const BucketSlot& slot : bucket.slots) {
      at::Tensor parameter = parameters_[slot.tensor_index];
      parameter.mutable_grad() = buffer.narrow(0, slot.offset, slot.numel).view(parameter.sizes());
    }
    buffers_.push_back(std::move(buffer));
  }
}

void GradientBucketer::ZeroGrad() {
  for (at::Tensor& buffer : buffers_) buffer.zero_();
}

void GradientBucketer::AverageGradients() {
  for (at::Tensor& buffer : buffers_) communicator_.AllReduce(buffer, ReduceOp::kAverage);
}

namespace {

double SquaredNorm(const std::vector<at::Tensor>& buffers) {
  double sum = 0.0;
  for (const at::Tensor& buffer : buffers) sum += buffer.to(at::kDouble).pow(2).sum().item<double>();
  return sum;
}

}  // namespace

GradientStatistics GradientBucketer::AverageGradientsMeasured() {
  at::Tensor local = at::full({1}, SquaredNorm(buffers_), at::kDouble);
  communicator_.AllReduce(local, ReduceOp::kAverage);
  AverageGradients();
  return GradientStatistics{local.item<double>(), SquaredNorm(buffers_)};
}

void BroadcastTensors(Communicator& communicator, const std::vector<at::Tensor>& tensors, int root) {
  if (communicator.world_size() == 1) return;
  ApplyFlat(tensors, [&](at::Tensor& flat) { communicator.Broadcast(flat, root); });
}

void AverageTensors(Communicator& communicator, const std::vector<at::Tensor>& tensors) {
  if (communicator.world_size() == 1) return;
  ApplyFlat(tensors, [&](at::Tensor& flat) { communicator.AllReduce(flat, ReduceOp::kAverage); });
}

}  // namespace strobe
