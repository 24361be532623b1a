#ifndef STROBE_AUGMENT_MIXER_H_
#define STROBE_AUGMENT_MIXER_H_

#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "augment/mix_method.h"
#include "augment/mix_options.h"
#include "augment/mix_rng.h"
#include "augment/partner_plan.h"
#include "ops/communicator.h"

namespace strobe {

struct MixResult {
  at::Tensor images;   // float [N, C, H, W]
  at::Tensor targets;  // float [N, classes] soft targets, or [N, D] mixed regression targets
  std::vector<SampleMix> plan;
  PartnerPlan partners;
};

// This rank's CutMix / Mixup / FMix for one training batch at a time.
//
// Randomness: each step's draws come from RankStream::ForStep(step), so ranks differ, runs repeat from the seed,
// and resuming at step s needs only (seed, rank) plus the previous batch under kPrevious (previous_images/targets).
// Communication: under kRing, Mix() is a collective (two SendReceive calls); under the other policies it does none.
class Mixer {
 public:
  // `num_classes`: of the int64 labels Mix() is given (their soft targets' width).
  static absl::StatusOr<std::unique_ptr<Mixer>> Create(const MixOptions& options, int64_t num_classes,
                                                       RankStream stream, Communicator& communicator);

  // `images`: float [N, C, H, W]. `targets`: int64 class labels [N] (smoothed, then mixed into soft targets) or
  // float [N, D] regression targets (mixed with the same per-sample lambda). From options.off_epoch on, nothing is
  // mixed (labels are still smoothed).
  // The batch is handed over: contiguous CPU batches are mixed in place (result.images then shares their storage;
  // others, e.g. channels-last, through a contiguous copy), except under kPrevious partners, which keep the batch
  // unmixed for the next step; CUDA batches go into a new batch.
  MixResult Mix(const at::Tensor& images, const at::Tensor& targets, int64_t step, int64_t epoch);

  const at::Tensor& previous_images() const { return previous_images_; }
  const at::Tensor& previous_targets() const { return previous_targets_; }
  void RestorePrevious(at::Tensor images, at::Tensor targets);

 private:
  struct PartnerBatch {
    at::Tensor images;
    at::Tensor targets;
  };

  Mixer(const MixOptions& options, int64_t num_classes, RankStream stream, Communicator& communicator);
  // The batch the partners come from; under kPrevious also remembers this batch for the next step.
  PartnerBatch FetchPartners(const PartnerPlan& plan, const at::Tensor& images, const at::Tensor& targets);
  at::Tensor MixPixels(const at::Tensor& images, const at::Tensor& partner_images, const MixResult& result,
                       const at::Tensor& masks) const;
  at::Tensor MixTargets(const at::Tensor& own_targets, const at::Tensor& partner_targets,
                        const std::vector<SampleMix>& plan) const;
  const MixMethod& ChooseMethod(Rng& rng) const;
  std::vector<SampleMix> DrawPlan(Rng& rng, int64_t batch, int64_t height, int64_t width,
                                  std::vector<uint8_t>& masks) const;
  at::Tensor TargetsFor(const at::Tensor& targets) const;

  MixOptions options_;
  int64_t num_classes_;
  RankStream stream_;
  Communicator& communicator_;
  std::vector<std::unique_ptr<MixMethod>> methods_;  // CutMix, FMix, Mixup: those enabled, in this order
  at::Tensor previous_images_;
  at::Tensor previous_targets_;
};

}  // namespace strobe

#endif  // STROBE_AUGMENT_MIXER_H_
