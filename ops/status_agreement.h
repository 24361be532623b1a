#ifndef STROBE_OPS_STATUS_AGREEMENT_H_
#define STROBE_OPS_STATUS_AGREEMENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "ops/communicator.h"

namespace strobe {

// Collective: every rank passes its own outcome of a step that may fail on some ranks only (loading a dataset,
// creating the run directory) and gets back the same answer: OK if every rank succeeded, else the status of the
// lowest failing rank, its message prefixed with that rank. Lets all ranks stop together instead of some waiting
// forever in the next collective.
absl::Status AgreeOnStatus(Communicator& communicator, const absl::Status& local);

// Collective: `text` as rank `root` holds it, on every rank (the others' `text` is not read).
std::string BroadcastText(Communicator& communicator, const std::string& text, int root);

// Collective: the lowest rank whose `value` (a checksum of what every rank should hold alike: a file, weights)
// differs from rank 0's, with both values; nullopt when all agree.
struct RankDifference {
  int rank = 0;
  int64_t value = 0;
  int64_t rank0_value = 0;
};
std::optional<RankDifference> FirstRankThatDiffers(Communicator& communicator, int64_t value);

}  // namespace strobe

#endif  // STROBE_OPS_STATUS_AGREEMENT_H_
