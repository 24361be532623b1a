#include "augment/mixer.h"

#include <ATen/ATen.h>

#include <stdexcept>

#include "augment/soft_targets.h"
#include "augment/kernels/mix_in_place.h"
#include "augment/kernels/mix_kernel.h"

namespace strobe {

absl::StatusOr<std::unique_ptr<Mixer>> Mixer::Create(const MixOptions& options, int64_t num_classes,
                                                     RankStream stream, Communicator& communicator) {
  if (absl::Status valid = options.Validate(); !valid.ok()) return valid;
  if (!options.enabled()) {
    return absl::InvalidArgumentError("no mixing method enabled (set --mixup_alpha, --cutmix_alpha or --fmix_alpha)");
  }
  return std::unique_ptr<Mixer>(new Mixer(options, num_classes, stream, communicator));
}

Mixer::Mixer(const MixOptions& options, int64_t num_classes, RankStream stream, Communicator& communicator)
    : options_(options), num_classes_(num_classes), stream_(stream), communicator_(communicator) {
  if (options.cutmix_alpha > 0 || options.cutmix_min_ratio < options.cutmix_max_ratio) {
    methods_.push_back(MakeCutMix(options.cutmix_alpha, options.cutmix_min_ratio, options.cutmix_max_ratio,
                                  options.correct_lambda));
  }
  if (options.fmix_alpha > 0) methods_.push_back(MakeFMix(options.fmix_alpha, options.fmix_decay_power));
  if (options.mixup_alpha > 0) methods_.push_back(MakeMixup(options.mixup_alpha));
}

const MixMethod& Mixer::ChooseMethod(Rng& rng) const {
  if (methods_.size() == 1) return *methods_[0];
  // The first enabled method with probability switch_prob (timm: CutMix vs Mixup), the others equally otherwise.
  if (rng.Uniform() < options_.switch_prob) return *methods_[0];
  return *methods_[1 + rng.UniformInt(0, static_cast<int64_t>(methods_.size()) - 1)];
}

std::vector<SampleMix> Mixer::DrawPlan(Rng& rng, int64_t batch, int64_t height, int64_t width,
                                       std::vector<uint8_t>& masks) const {
  auto draw = [&](SampleMix& mix) {
    if (rng.Uniform() < options_.prob) ChooseMethod(rng).Draw(rng, height, width, mix, masks);
  };
  std::vector<SampleMix> plan(batch);
  switch (options_.mode) {
    case LambdaMode::kBatch: {
      SampleMix shared;
      draw(shared);
      for (SampleMix& mix : plan) mix = shared;
      break;
    }
    case LambdaMode::kPair:
      for (int64_t i = 0; i < (batch + 1) / 2; ++i) {
        draw(plan[i]);
        plan[batch - 1 - i] = plan[i];
      }
      break;
    case LambdaMode::kElement:
      for (SampleMix& mix : plan) draw(mix);
      break;
  }
  return plan;
}

at::Tensor Mixer::TargetsFor(const at::Tensor& targets) const {
  if (targets.scalar_type() == at::kLong) {
    return SmoothedOneHot(targets, num_classes_, options_.label_smoothing);
  }
  if (!at::isFloatingType(targets.scalar_type()) || targets.dim() != 2) {
    throw std::invalid_argument("Mixer: targets must be int64 labels [N] or floating regression targets [N, D]");
  }
  return targets.to(at::kFloat);
}

Mixer::PartnerBatch Mixer::FetchPartners(const PartnerPlan& plan, const at::Tensor& images,
                                         const at::Tensor& targets) {
  switch (plan.source) {
    case PartnerPlan::Source::kThisBatch:
      return {images, targets};
    case PartnerPlan::Source::kPreviousBatch: {
      PartnerBatch previous{previous_images_, previous_targets_};
      previous_images_ = images;
      previous_targets_ = targets;
      return plan.partner.empty() ? PartnerBatch{images, targets} : previous;
    }
    case PartnerPlan::Source::kPeerBatch:
      return {communicator_.SendReceive(images.contiguous(), plan.send_to, plan.receive_from),
              communicator_.SendReceive(targets.contiguous(), plan.send_to, plan.receive_from)};
  }
  return {images, targets};
}

at::Tensor Mixer::MixTargets(const at::Tensor& own_targets, const at::Tensor& partner_targets,
                             const std::vector<SampleMix>& plan) const {
  const int64_t batch = static_cast<int64_t>(plan.size());
  at::Tensor lam = at::empty({batch, 1}, at::kFloat);
  at::Tensor rows = at::empty({batch}, at::kLong);
  for (int64_t i = 0; i < batch; ++i) {
    lam.data_ptr<float>()[i] = plan[i].lam;
    rows.data_ptr<int64_t>()[i] = plan[i].partner;
  }
  const at::Tensor own = TargetsFor(own_targets);
  const at::Tensor theirs = TargetsFor(partner_targets).index_select(0, rows.to(own.device()));
  lam = lam.to(own.device());
  return own * lam + theirs * (1.0f - lam);
}

at::Tensor Mixer::MixPixels(const at::Tensor& images, const at::Tensor& partner_images, const MixResult& result,
                            const at::Tensor& masks) const {
  // Under `previous` partners this batch is kept unmixed for the next step, and CUDA batches are mixed by one kernel
  // writing every pixel once: both go into a new batch. Otherwise the batch is mixed in place, which writes only
  // what the mix changes (for CutMix, its boxes; measured in docs/mixing.md).
  if (images.is_cuda() || result.partners.source == PartnerPlan::Source::kPreviousBatch) {
    at::Tensor mixed = at::empty_like(images, at::MemoryFormat::Contiguous);
    MixImages(images.contiguous(), partner_images.contiguous(), result.plan, masks, mixed);
    return mixed;
  }
  // Under ring partners this batch has already gone to the peer: SendReceive returns only once it is sent.
  at::Tensor mixed = images.contiguous();
  const bool in_batch = result.partners.source == PartnerPlan::Source::kThisBatch;
  MixImagesInPlace(mixed, in_batch ? mixed : partner_images.contiguous(), result.plan, masks);
  return mixed;
}

MixResult Mixer::Mix(const at::Tensor& images, const at::Tensor& targets, int64_t step, int64_t epoch) {
  if (images.dim() != 4 || images.size(0) != targets.size(0)) {
    throw std::invalid_argument("Mixer: images must be [N, C, H, W] with one target per image");
  }
  const int64_t batch = images.size(0);
  Rng rng = stream_.ForStep(step);
  MixResult result;
  const int64_t previous_size = previous_targets_.defined() ? previous_targets_.size(0) : 0;
  result.partners = PlanPartners(options_.partners, batch, previous_size, step, communicator_.rank(),
                                 communicator_.world_size(), rng);
  const PartnerBatch partners = FetchPartners(result.partners, images, targets);

  const bool mixing = !result.partners.partner.empty() && (options_.off_epoch <= 0 || epoch < options_.off_epoch);
  if (!mixing) {
    result.plan.assign(batch, SampleMix{});
    result.images = images;
    result.targets = TargetsFor(targets);
    return result;
  }
  std::vector<uint8_t> mask_bytes;
  result.plan = DrawPlan(rng, batch, images.size(2), images.size(3), mask_bytes);
  for (int64_t i = 0; i < batch; ++i) result.plan[i].partner = result.partners.partner[i];
  at::Tensor masks;
  if (!mask_bytes.empty()) {
    const int64_t count = static_cast<int64_t>(mask_bytes.size()) / (images.size(2) * images.size(3));
    masks = at::from_blob(mask_bytes.data(), {count, images.size(2), images.size(3)}, at::kByte).to(images.device());
  }
  result.images = MixPixels(images, partners.images, result, masks);
  result.targets = MixTargets(targets, partners.targets, result.plan);
  return result;
}

void Mixer::RestorePrevious(at::Tensor images, at::Tensor targets) {
  previous_images_ = std::move(images);
  previous_targets_ = std::move(targets);
}

}  // namespace strobe
