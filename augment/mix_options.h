#ifndef STROBE_AUGMENT_MIX_OPTIONS_H_
#define STROBE_AUGMENT_MIX_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace strobe {

// Where a sample's mixing partner comes from.
enum class PartnerPolicy {
  kFlip,      // sample B-1-i of the same batch (timm)
  kRoll,      // sample i-1 of the same batch, cyclically (torchvision)
  kPermute,   // a random permutation of the same batch
  kPrevious,  // sample i of this rank's previous batch: pairs never come from the same batch
  kRing,      // sample i of another rank's current batch; the peer rotates each step (1 rank: as kPrevious)
};

// How often new mixing parameters are drawn (timm's `mode`).
enum class LambdaMode {
  kBatch,    // one draw (method, lambda, box or mask) for the whole batch
  kPair,     // samples i and B-1-i share a draw; the rest are independent
  kElement,  // an independent draw for every sample
};

// Their flag spellings (--mix_partners, --mix_mode); a parse error names the flag and the choices.
absl::StatusOr<PartnerPolicy> ParsePartnerPolicy(const std::string& name);
absl::StatusOr<LambdaMode> ParseLambdaMode(const std::string& name);
std::string PartnerPolicyName(PartnerPolicy policy);
std::string LambdaModeName(LambdaMode mode);

// CutMix / Mixup / FMix and label smoothing, with timm's meanings where timm has the option.
struct MixOptions {
  double mixup_alpha = 0.0;   // > 0 enables Mixup: lambda ~ Beta(alpha, alpha)
  double cutmix_alpha = 0.0;  // > 0 enables CutMix: box area fraction from Beta(alpha, alpha)
  double fmix_alpha = 0.0;    // > 0 enables FMix (Harris et al. 2020): mask from low-frequency Fourier noise
  double fmix_decay_power = 3.0;
  // When set (min < max), CutMix box sides are uniform in [min, max] x image side instead of from lambda.
  double cutmix_min_ratio = 0.0;
  double cutmix_max_ratio = 0.0;
  double prob = 1.0;         // probability that a draw mixes at all
  double switch_prob = 0.5;  // with several methods enabled: probability of CutMix (then FMix, then Mixup)
  LambdaMode mode = LambdaMode::kBatch;
  bool correct_lambda = true;  // lambda = the exact area fraction of a box clipped at the border
  double label_smoothing = 0.0;  // of every training target, mixed or not
  int64_t off_epoch = 0;  // > 0: no mixing from this (0-based) epoch on
  PartnerPolicy partners = PartnerPolicy::kFlip;

  bool enabled() const { return mixup_alpha > 0 || cutmix_alpha > 0 || fmix_alpha > 0; }

  // Rejects negative or inconsistent values with a message that names the flag.
  absl::Status Validate() const;

  template <typename Self, typename Visit>
  static void Fields(Self& self, Visit&& visit) {
    visit("label_smoothing", self.label_smoothing);
    visit("mixup_alpha", self.mixup_alpha);
    visit("cutmix_alpha", self.cutmix_alpha);
    visit("fmix_alpha", self.fmix_alpha);
    visit("fmix_decay_power", self.fmix_decay_power);
    visit("cutmix_min_ratio", self.cutmix_min_ratio);
    visit("cutmix_max_ratio", self.cutmix_max_ratio);
    visit("mix_prob", self.prob);
    visit("mix_switch_prob", self.switch_prob);
    visit("mix_mode", self.mode, ParseLambdaMode, LambdaModeName);
    visit("mix_correct_lambda", self.correct_lambda);
    visit("mix_off_epoch", self.off_epoch);
    visit("mix_partners", self.partners, ParsePartnerPolicy, PartnerPolicyName);
  }
};


}  // namespace strobe

#endif  // STROBE_AUGMENT_MIX_OPTIONS_H_
