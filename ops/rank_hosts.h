#ifndef STROBE_OPS_RANK_HOSTS_H_
#define STROBE_OPS_RANK_HOSTS_H_

#include <string>
#include <vector>

#include "ops/communicator.h"

namespace strobe {

// Collective: every rank's host name, indexed by rank (for messages that name a rank's machine, such as the
// straggler in the progress line). Names longer than 255 bytes are cut there.
std::vector<std::string> GatherRankHosts(Communicator& communicator, const std::string& host);

}  // namespace strobe

#endif  // STROBE_OPS_RANK_HOSTS_H_
