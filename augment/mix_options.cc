#include "augment/mix_options.h"

#include <array>
#include <cmath>
#include <utility>

#include "absl/strings/str_format.h"
#include "ops/option_checks.h"

namespace strobe {
namespace {

constexpr std::array<std::pair<const char*, PartnerPolicy>, 5> kPolicies{{{"flip", PartnerPolicy::kFlip},
                                                                         {"roll", PartnerPolicy::kRoll},
                                                                         {"permute", PartnerPolicy::kPermute},
                                                                         {"previous", PartnerPolicy::kPrevious},
                                                                         {"ring", PartnerPolicy::kRing}}};
constexpr std::array<std::pair<const char*, LambdaMode>, 3> kModes{
    {{"batch", LambdaMode::kBatch}, {"pair", LambdaMode::kPair}, {"elem", LambdaMode::kElement}}};

}  // namespace

absl::Status MixOptions::Validate() const {
  if (absl::Status ranges = FirstError(
          {CheckNonNegative("mixup_alpha", mixup_alpha), CheckNonNegative("cutmix_alpha", cutmix_alpha),
           CheckNonNegative("fmix_alpha", fmix_alpha), CheckProbability("mix_prob", prob),
           CheckProbability("mix_switch_prob", switch_prob), CheckProbability("cutmix_min_ratio", cutmix_min_ratio),
           CheckProbability("cutmix_max_ratio", cutmix_max_ratio),
           CheckInRange("label_smoothing", label_smoothing, 0, 1, /*high_open=*/true)});
      !ranges.ok()) {
    return ranges;
  }
  if (cutmix_min_ratio > cutmix_max_ratio) {
    return absl::InvalidArgumentError(absl::StrFormat("--cutmix_min_ratio=%g exceeds --cutmix_max_ratio=%g",
                                                      cutmix_min_ratio, cutmix_max_ratio));
  }
  if (!(fmix_decay_power > 0)) {
    return absl::InvalidArgumentError(absl::StrFormat("--fmix_decay_power=%g must be > 0", fmix_decay_power));
  }
  if (off_epoch < 0) {
    return absl::InvalidArgumentError(absl::StrFormat("--mix_off_epoch=%d must be >= 0", off_epoch));
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
