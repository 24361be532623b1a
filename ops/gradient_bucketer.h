#ifndef STROBE_OPS_GRADIENT_BUCKETER_H_
#define STROBE_OPS_GRADIENT_BUCKETER_H_

#include <ATen/core/Tensor.h>

#include <memory>
#include <optional>
#include <vector>

#include "ops/bucket_plan.h"
#include "ops/communicator.h"
#include "ops/gradient_statistics.h"

namespace strobe {

inline constexpr int64_t kDefaultBucketCapBytes = 25 * 1024 * 1024;

struct BucketerOptions {
  explicit BucketerOptions(int64_t cap = kDefaultBucketCapBytes) : cap_bytes(cap) {}

  int64_t cap_bytes;
  // Up to this many buckets where the cap leaves the gradients in one, none under kMinCutBucketBytes
  // (PlanGradientBuckets).
  int64_t small_model_buckets = 1;
  // Start each bucket's all-reduce from backward, as soon as its last gradient is accumulated, so that it overlaps
  // with the rest of backward on backends that can (NCCL). Gradient statistics cannot be measured then (they
  // need the local gradients before averaging).
  bool overlap = false;
  // The dtype gradients travel in (kBFloat16 or kHalf compress them); nullopt: the parameters' own.
  std::optional<at::ScalarType> wire_dtype;
};

// Averages the gradients of `parameters` across ranks, one collective per bucket.
//
// On construction every parameter's .grad() is replaced by a view into its bucket's flat buffer with the
// parameter's own strides (as DDP's gradient_as_bucket_view; channels-last weights get channels-last gradients), so
// backward accumulates straight into the buckets and averaging needs no pack or unpack copies. Consequently
// gradients must be cleared with ZeroGrad() (not by resetting .grad()), the parameters must all share one dtype
// and device, and their layout must not change afterwards. Every rank must build the bucketer from the same
// parameter list and call ZeroGrad() before backward and AverageGradients() after it, in every step.
//
// Buckets are all-reduced in plan order (the reverse of the parameter order, roughly the order in which backward
// produces gradients) on every rank; with `overlap`, a bucket starts once it and every bucket before it are
// complete, and AverageGradients() starts the rest (buckets of parameters that took no part in this step) and
// orders the caller's later work after all of them.
class GradientBucketer {
 public:
  GradientBucketer(Communicator& communicator, std::vector<at::Tensor> parameters, BucketerOptions options);
  ~GradientBucketer();
  GradientBucketer(const GradientBucketer&) = delete;
  GradientBucketer& operator=(const GradientBucketer&) = delete;

  void ZeroGrad();
  // Gradient accumulation (--accum_steps): while deferred, backward adds into the buckets without marking any
  // gradient ready, so no collective starts; the backward after DeferCommunication(false) (the step's last
  // micro-batch) starts them as usual. ZeroGrad() ends deferral.
  void DeferCommunication(bool defer) { deferring_ = defer; }
  void AverageGradients();
  // The same, also measuring the gradients' squared norms before and after averaging (one more all-reduce of one
  // number): what AdaScale estimates gradient noise from.
  GradientStatistics AverageGradientsMeasured();

  const std::vector<Bucket>& plan() const { return plan_; }
  const std::vector<at::Tensor>& buffers() const { return buffers_; }
  // Buckets whose all-reduce started during backward in the last step (overlap only; for tests and metrics).
  size_t started_during_backward() const { return started_during_backward_; }
  // Seconds this rank's thread spent in the step's collectives since ZeroGrad(), those started from backward too:
  // the time the step breakdown moves from backward to the all-reduce.
  double communication_seconds() const { return communication_seconds_; }

 private:
  void WatchGradients();
  void OnGradientReady(size_t parameter_index);
  void StartBucket(size_t bucket);

  Communicator& communicator_;
  std::vector<at::Tensor> parameters_;
  BucketerOptions options_;
  at::ScalarType wire_dtype_;
  std::vector<Bucket> plan_;
  std::vector<at::Tensor> buffers_;
  // Overlap bookkeeping, reset by ZeroGrad().
  std::vector<size_t> bucket_of_parameter_;
  std::vector<std::shared_ptr<void>> grad_accumulators_;  // keeps the hooked autograd nodes alive
  // What the hooks call; cleared on destruction, since the hooks live as long as the parameters.
  std::shared_ptr<GradientBucketer*> hook_target_;
  std::vector<bool> parameter_ready_;
  std::vector<int64_t> pending_in_bucket_;
  size_t next_bucket_ = 0;
  bool in_step_ = false;
  bool deferring_ = false;
  size_t started_during_backward_ = 0;
  double communication_seconds_ = 0.0;
};

// Replaces every rank's `tensors` by `root`'s, in place (initial weights and buffers at start-up).
void BroadcastTensors(Communicator& communicator, const std::vector<at::Tensor>& tensors, int root);
// Replaces `tensors` by their average over ranks, in place (e.g. BatchNorm running statistics before evaluation,
// so every rank evaluates identical weights). Integer tensors are averaged with floor division.
void AverageTensors(Communicator& communicator, const std::vector<at::Tensor>& tensors);

}  // namespace strobe

#endif  // STROBE_OPS_GRADIENT_BUCKETER_H_
