#include "ops/gradient_bucketer.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

namespace strobe {
namespace {

// Adds the seconds of its lifetime to a total.
class CommunicationClock {
 public:
  explicit CommunicationClock(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~CommunicationClock() {
    total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  CommunicationClock(const CommunicationClock&) = delete;
  CommunicationClock& operator=(const CommunicationClock&) = delete;

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

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
    for (at::Tensor& tensor : group) {  // copied back through the logical shape: layouts may differ (channels-last)
      const int64_t numel = tensor.numel();
      tensor.detach().copy_(flat.narrow(0, offset, numel).view(tensor.sizes()));
      offset += numel;
    }
  }
}

}  // namespace

GradientBucketer::GradientBucketer(Communicator& communicator, std::vector<at::Tensor> parameters,
                                   BucketerOptions options)
    : communicator_(communicator), parameters_(std::move(parameters)), options_(options) {
  if (parameters_.empty()) throw std::invalid_argument("GradientBucketer: no parameters");
  std::vector<int64_t> numels;
  for (const at::Tensor& parameter : parameters_) {
    if (parameter.scalar_type() != parameters_[0].scalar_type() ||
        parameter.device() != parameters_[0].device()) {
      throw std::invalid_argument("GradientBucketer: parameters must share one dtype and device");
    }
    if (!parameter.is_non_overlapping_and_dense()) {
      throw std::invalid_argument("GradientBucketer: parameters must be dense (no gaps or overlaps)");
    }
    numels.push_back(parameter.numel());
  }
  wire_dtype_ = options_.wire_dtype.value_or(parameters_[0].scalar_type());
  plan_ = PlanGradientBuckets(numels, parameters_[0].element_size(), options_.cap_bytes,
                              options_.small_model_buckets);
  bucket_of_parameter_.resize(parameters_.size());
  for (size_t b = 0; b < plan_.size(); ++b) {
    at::Tensor buffer = at::zeros({plan_[b].numel}, parameters_[0].options());
    for (const BucketSlot& slot : plan_[b].slots) {
      at::Tensor parameter = parameters_[slot.tensor_index];
      parameter.mutable_grad() =
          buffer.narrow(0, slot.offset, slot.numel).as_strided(parameter.sizes(), parameter.strides());
      bucket_of_parameter_[slot.tensor_index] = b;
    }
    buffers_.push_back(std::move(buffer));
  }
  if (options_.overlap) WatchGradients();
}

// A post-hook on each parameter's gradient accumulator runs once backward has added this step's gradient into
// the bucket (DDP's readiness signal).
void GradientBucketer::WatchGradients() {
  hook_target_ = std::make_shared<GradientBucketer*>(this);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (!parameters_[i].requires_grad()) continue;
    std::shared_ptr<torch::autograd::Node> accumulator = torch::autograd::impl::grad_accumulator(parameters_[i]);
    accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [target = hook_target_, i](const torch::autograd::variable_list& outputs,
                                    const torch::autograd::variable_list&) {
          if (*target != nullptr) (*target)->OnGradientReady(i);
          return outputs;
        }));
    grad_accumulators_.push_back(std::move(accumulator));
  }
}

GradientBucketer::~GradientBucketer() {
  if (hook_target_ != nullptr) *hook_target_ = nullptr;
}

void GradientBucketer::ZeroGrad() {
  for (at::Tensor& buffer : buffers_) buffer.zero_();
  parameter_ready_.assign(parameters_.size(), false);
  pending_in_bucket_.clear();
  for (const Bucket& bucket : plan_) pending_in_bucket_.push_back(static_cast<int64_t>(bucket.slots.size()));
  next_bucket_ = 0;
  started_during_backward_ = 0;
  communication_seconds_ = 0.0;
  in_step_ = true;
  deferring_ = false;
}

void GradientBucketer::OnGradientReady(size_t parameter_index) {
  // Backward outside a training step (a test's, say), or a micro-batch before the step's last: nothing to reduce.
  if (!in_step_ || deferring_) return;
  if (parameter_ready_[parameter_index]) {
    throw std::logic_error("GradientBucketer: a gradient was accumulated twice in one step (backward ran twice "
                           "without ZeroGrad); its bucket was already being averaged");
  }
  parameter_ready_[parameter_index] = true;
  --pending_in_bucket_[bucket_of_parameter_[parameter_index]];
  while (next_bucket_ < plan_.size() && pending_in_bucket_[next_bucket_] == 0) {
    StartBucket(next_bucket_++);
    ++started_during_backward_;
  }
}

void GradientBucketer::StartBucket(size_t bucket) {
  const CommunicationClock clock(communication_seconds_);
  communicator_.StartAllReduce(buffers_[bucket], ReduceOp::kAverage, wire_dtype_);
}

void GradientBucketer::AverageGradients() {
  if (!in_step_) next_bucket_ = 0;  // no ZeroGrad() since the last average: average all buckets again
  while (next_bucket_ < plan_.size()) StartBucket(next_bucket_++);
  {
    const CommunicationClock clock(communication_seconds_);
    communicator_.FinishAllReduces();
  }
  in_step_ = false;
}

namespace {

double SquaredNorm(const std::vector<at::Tensor>& buffers) {
  double sum = 0.0;
  for (const at::Tensor& buffer : buffers) sum += buffer.to(at::kDouble).pow(2).sum().item<double>();
  return sum;
}

}  // namespace

GradientStatistics GradientBucketer::AverageGradientsMeasured() {
  if (options_.overlap) {
    throw std::logic_error("GradientBucketer: gradient statistics need the local gradients, so no overlap");
  }
  at::Tensor local = at::full({1}, SquaredNorm(buffers_), at::kDouble);
  {
    const CommunicationClock clock(communication_seconds_);
    communicator_.AllReduce(local, ReduceOp::kAverage);
  }
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
