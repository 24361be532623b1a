#ifndef STROBE_OPS_GRADIENT_BUCKETER_H_
#define STROBE_OPS_GRADIENT_BUCKETER_H_

#include <ATen/core/Tensor.h>

#include <vector>

#include "ops/bucket_plan.h"
#include "ops/communicator.h"
#include "ops/gradient_statistics.h"

namespace strobe {

inline constexpr int64_t kDefaultBucketCapBytes = 25 * 1024 * 1024;

// Averages the gradients of `parameters` across ranks, one collective per bucket.
//
// On construction every parameter's .grad() is replaced by a view into its bucket's flat buffer (as DDP's
// gradient_as_bucket_view), so backward accumulates straight into the buckets and averaging needs no pack or
// unpack copies. Consequently gradients must be cleared with ZeroGrad() (not by resetting .grad()), and the
// parameters must all share one dtype and device. Every rank must build the bucketer from the same parameter
// list and call AverageGradients() at the same point of every step.
class GradientBucketer {
 public:
  GradientBucketer(Communicator& communicator, std::vector<at::Tensor> parameters, int64_t cap_bytes);

  void ZeroGrad();
  void AverageGradients();
  // The same, also measuring the gradients' squared norms before and after averaging (one more all-reduce of one
  // number): what AdaScale estimates gradient noise from.
  GradientStatistics AverageGradientsMeasured();

  const std::vector<Bucket>& plan() const { return plan_; }
  const std::vector<at::Tensor>& buffers() const { return buffers_; }

 private:
  Communicator& communicator_;
  std::vector<at::Tensor> parameters_;
  std::vector<Bucket> plan_;
  std::vector<at::Tensor> buffers_;
};

// Replaces every rank's `tensors` by `root`'s, in place (initial weights and buffers at start-up).
void BroadcastTensors(Communicator& communicator, const std::vector<at::Tensor>& tensors, int root);
// Replaces `tensors` by their average over ranks, in place (e.g. BatchNorm running statistics before evaluation,
// so every rank evaluates identical weights). Integer tensors are averaged with floor division.
void AverageTensors(Communicator& communicator, const std::vector<at::Tensor>& tensors);

}  // namespace strobe

#endif  // STROBE_OPS_GRADIENT_BUCKETER_H_
