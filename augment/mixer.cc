#include "augment/mixer.h"

#include <ATen/ATen.h>

#include <stdexcept>

#include "augment/soft_targets.h"

namespace strobe {

absl::StatusOr<std::unique_ptr<Mixer>> Mixer::Create(const MixOptions& options, RankStream stream,
                                                     Communicator& communicator) {
  if (absl::Status valid = ValidateMixOptions(options); !valid.ok()) return valid;
  if (!options.enabled()) {
    return absl::InvalidArgumentError("no mixing method enabled (set --mixup_alpha, --cutmix_alpha or --fmix_alpha)");
  }
  return std::unique_ptr<Mixer>(new Mixer(options, stream, communicator));
}

Mixer::Mixer(const MixOptions& options, RankStream stream, Communicator& communicator)
    : options_(options), stream_(stream), communicator_(communicator) {
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
    return SmoothedOneHot(targets, options_.num_classes, options_.label_smoothing);
  }
  if (!at::isFloatingType(targets.scalar_type()) || targets.dim() != 2) {
    throw std::invalid_argument("Mixer: targets must be int64 labels [N] or floating regression targets [N, D]");
  }
  return targets.to(at::kFloat);
}

MixResult Mixer::Mix(const at::Tensor& images, const at::Tensor& targets, int64_t step, int64_t epoch) {
  if (images.dim() != 4 || images.size(0) != targets.size(0)) {
    throw std::invalid_argument("Mixer: images must be [N, C, H, W] with one target per image");
  }
  const int64_t batch = images.size(0);
  Rng rng = stream_.ForStep(step);
  MixResult result;
  result.partners = PlanPartners(options_.partners, batch, previous_targets_.defined() ? previous_targets_.size(0) : 0,
                                 step, communicator_.rank(), communicator_.world_size(), rng);
  at::Tensor partner_images = images;
  at::Tensor partner_targets = targets;
  switch (result.partners.source) {
    case PartnerPlan::Source::kThisBatch:
      break;
    case PartnerPlan::Source::kPreviousBatch:
      if (!result.partners.partner.empty()) {
        partner_images = previous_images_;
        partner_targets = previous_targets_;
      }
      previous_images_ = images;
      previous_targets_ = targets;
      break;
    case PartnerPlan::Source::kPeerBatch:
      partner_images = communicator_.SendReceive(images.contiguous(), result.partners.send_to,
                                                 result.partners.receive_from);
      partner_targets = communicator_.SendReceive(targets.contiguous(), result.partners.send_to,
                                                  result.partners.receive_from);
      break;
  }

  const bool mixing = !result.partners.partner.empty() && (options_.off_epoch <= 0 || epoch < options_.off_epoch);
  std::vector<uint8_t> mask_bytes;
  result.plan = mixing ? DrawPlan(rng, batch, images.size(2), images.size(3), mask_bytes)
                       : std::vector<SampleMix>(batch);
  for (int64_t i = 0; i < batch && mixing; ++i) result.plan[i].partner = result.partners.partner[i];
  if (!mixing) partner_images = images;

  at::Tensor masks;
  if (!mask_bytes.empty()) {
    const int64_t pixels = images.size(2) * images.size(3);
    masks = at::from_blob(mask_bytes.data(), {static_cast<int64_t>(mask_bytes.size()) / pixels, images.size(2),
                                              images.size(3)},
                          at::kByte)
                .to(images.device());
  }
  result.images = at::empty_like(images, at::MemoryFormat::Contiguous);
  MixImages(images.contiguous(), partner_images.contiguous(), result.plan, masks, result.images);

  const at::Tensor own = TargetsFor(targets);
  if (!mixing) {
    result.targets = own;
    return result;
  }
  at::Tensor lam = at::empty({batch, 1}, at::kFloat);
  at::Tensor rows = at::empty({batch}, at::kLong);
  for (int64_t i = 0; i < batch; ++i) {
    lam.data_ptr<float>()[i] = result.plan[i].lam;
    rows.data_ptr<int64_t>()[i] = result.plan[i].partner;
  }
  const at::Tensor theirs = TargetsFor(partner_targets).index_select(0, rows.to(own.device()));
  lam = lam.to(own.device());
  result.targets = own * lam + theirs * (1.0f - lam);
  return result;
}

void Mixer::RestorePrevious(at::Tensor images, at::Tensor targets) {
  previous_images_ = std::move(images);
  previous_targets_ = std::move(targets);
}

}  // namespace strobe
