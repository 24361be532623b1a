#ifndef STROBE_AUGMENT_PARTNER_PLAN_H_
#define STROBE_AUGMENT_PARTNER_PLAN_H_

#include <cstdint>
#include <vector>

#include "augment/mix_options.h"
#include "augment/mix_rng.h"

namespace strobe {

// Which batch the partners come from, and which of its samples each sample pairs with.
struct PartnerPlan {
  enum class Source { kThisBatch, kPreviousBatch, kPeerBatch };
  Source source = Source::kThisBatch;
  int send_to = -1;    // kPeerBatch: this rank sends its batch to this rank ...
  int receive_from = -1;  // ... and pairs with the batch of this one
  std::vector<int64_t> partner;  // partner[i]: the row of the source batch that sample i mixes with
};

// Pure planning, identical on every call with the same arguments. `previous_size` is the size of this rank's
// previous batch (0 if there is none: then kPrevious plans no partners and the step is not mixed).
// kRing: the peer offset is 1 + step mod (world_size - 1), so over world_size - 1 steps each rank pairs with every
// other rank once; with one rank it is kPrevious.
PartnerPlan PlanPartners(PartnerPolicy policy, int64_t batch_size, int64_t previous_size, int64_t step, int rank,
                         int world_size, Rng& rng);

}  // namespace strobe

#endif  // STROBE_AUGMENT_PARTNER_PLAN_H_
