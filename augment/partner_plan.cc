#include "augment/partner_plan.h"

#include <numeric>
#include <utility>

namespace strobe {
namespace {

std::vector<int64_t> Aligned(int64_t batch_size, int64_t source_size) {
  std::vector<int64_t> partner(batch_size);
  for (int64_t i = 0; i < batch_size; ++i) partner[i] = i % source_size;
  return partner;
}

}  // namespace

PartnerPlan PlanPartners(PartnerPolicy policy, int64_t batch_size, int64_t previous_size, int64_t step, int rank,
                         int world_size, Rng& rng) {
  PartnerPlan plan;
  if (policy == PartnerPolicy::kRing && world_size == 1) policy = PartnerPolicy::kPrevious;
  switch (policy) {
    case PartnerPolicy::kFlip:
      for (int64_t i = 0; i < batch_size; ++i) plan.partner.push_back(batch_size - 1 - i);
      break;
    case PartnerPolicy::kRoll:
      for (int64_t i = 0; i < batch_size; ++i) plan.partner.push_back((i + batch_size - 1) % batch_size);
      break;
    case PartnerPolicy::kPermute:
      plan.partner.resize(batch_size);
      std::iota(plan.partner.begin(), plan.partner.end(), 0);
      for (int64_t i = batch_size - 1; i > 0; --i) std::swap(plan.partner[i], plan.partner[rng.UniformInt(0, i + 1)]);
      break;
    case PartnerPolicy::kPrevious:
      plan.source = PartnerPlan::Source::kPreviousBatch;
      if (previous_size > 0) plan.partner = Aligned(batch_size, previous_size);
      break;
    case PartnerPolicy::kRing: {
      const int offset = 1 + static_cast<int>(step % (world_size - 1));
      plan.source = PartnerPlan::Source::kPeerBatch;
      plan.send_to = (rank + offset) % world_size;
      plan.receive_from = (rank - offset + world_size) % world_size;
      plan.partner = Aligned(batch_size, batch_size);
      break;
    }
  }
  return plan;
}

}  // namespace strobe
