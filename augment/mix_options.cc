#include "augment/mix_options.h"

#include <array>
#include <cmath>
#include <utility>

#include "absl/strings/str_format.h"

namespace strobe {
namespace {

constexpr std::array<std::pair<const char*, PartnerPolicy>, 5> kPolicies{{{"flip", PartnerPolicy::kFlip},
                                                                         {"roll", PartnerPolicy::kRoll},
                                                                         {"permute", PartnerPolicy::kPermute},
                                                                         {"previous", PartnerPolicy::kPrevious},
                                                                         {"ring", PartnerPolicy::kRing}}};
constexpr std::array<std::pair<const char*, LambdaMode>, 3> kModes{
    {{"batch", LambdaMode::kBatch}, {"pair", LambdaMode::kPair}, {"elem", LambdaMode::kElement}}};

absl::Status NonNegative(const char* flag, double value) {
  if (std::isfinite(value) && value >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat("--%s=%g must be >= 0", flag, value));
}

absl::Status Probability(const char* flag, double value) {
  if (std::isfinite(value) && value >= 0 && value <= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat("--%s=%g must lie in [0, 1]", flag, value));
}

}  // namespace

absl::Status ValidateMixOptions(const MixOptions& o) {
  for (const absl::Status& status :
       {NonNegative("mixup_alpha", o.mixup_alpha), NonNegative("cutmix_alpha", o.cutmix_alpha),
        NonNegative("fmix_alpha", o.fmix_alpha), Probability("mix_prob", o.prob),
        Probability("mix_switch_prob", o.switch_prob), Probability("cutmix_min_ratio", o.cutmix_min_ratio),
        Probability("cutmix_max_ratio", o.cutmix_max_ratio)}) {
    if (!status.ok()) return status;
  }
  if (!(o.label_smoothing >= 0 && o.label_smoothing < 1)) {
    return absl::InvalidArgumentError(absl::StrFormat("--label_smoothing=%g must lie in [0, 1)", o.label_smoothing));
  }
  if (o.cutmix_min_ratio > o.cutmix_max_ratio) {
    return absl::InvalidArgumentError(absl::StrFormat("--cutmix_min_ratio=%g exceeds --cutmix_max_ratio=%g",
                                                      o.cutmix_min_ratio, o.cutmix_max_ratio));
  }
  if (!(o.fmix_decay_power > 0)) {
    return absl::InvalidArgumentError(absl::StrFormat("--fmix_decay_power=%g must be > 0", o.fmix_decay_power));
  }
  if (o.off_epoch < 0) {
    return absl::InvalidArgumentError(absl::StrFormat("--mix_off_epoch=%d must be >= 0", o.off_epoch));
  }
  return absl::OkStatus();
}

absl::StatusOr<PartnerPolicy> ParsePartnerPolicy(const std::string& name) {
  for (const auto& [known, policy] : kPolicies) {
    if (name == known) return policy;
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "--mix_partners=%s is not a partner policy; choose one of: flip, roll, permute, previous, ring", name));
}

absl::StatusOr<LambdaMode> ParseLambdaMode(const std::string& name) {
  for (const auto& [known, mode] : kModes) {
    if (name == known) return mode;
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("--mix_mode=%s is not a lambda mode; choose one of: batch, pair, elem", name));
}

std::string PartnerPolicyName(PartnerPolicy policy) {
  for (const auto& [name, known] : kPolicies) {
    if (policy == known) return name;
  }
  return "?";
}

std::string LambdaModeName(LambdaMode mode) {
  for (const auto& [name, known] : kModes) {
    if (mode == known) return name;
  }
  return "?";
}

}  // namespace strobe
