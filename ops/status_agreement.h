#ifndef STROBE_OPS_STATUS_AGREEMENT_H_
#define STROBE_OPS_STATUS_AGREEMENT_H_

#include "absl/status/status.h"
#include "ops/communicator.h"

namespace strobe {

// Collective: every rank passes its own outcome of a step that may fail on some ranks only (loading a dataset,
// creating the run directory) and gets back the same answer: OK if every rank succeeded, else the status of the
// lowest failing rank, its message prefixed with that rank. Lets all ranks stop together instead of some waiting
// forever in the next collective.
absl::Status AgreeOnStatus(Communicator& communicator, const absl::Status& local);

}  // namespace strobe

#endif  // STROBE_OPS_STATUS_AGREEMENT_H_
