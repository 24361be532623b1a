#ifndef STROBE_APP_SAME_JOB_H_
#define STROBE_APP_SAME_JOB_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "ops/communicator.h"
#include "ops/distributed_context.h"

namespace strobe {

// One thing a rank was started with that must be alike on every rank of a job.
struct JobSetting {
  std::string name;   // a flag's name, or "command"
  std::string value;  // the flag's value as parsed (a --flagfile's included), or the command and its operands
};

// Flags that only size a rank's own share of its host (threads) or its own wait at start-up, which may differ
// between hosts of unequal size: the ranks still agree after averaging, though a rank's thread count may change the
// last bits of its own gradients.
inline constexpr const char* kPerRankFlags[] = {"threads", "decode_threads", "prefetch_batches", "startup_timeout_s"};

// This process's command and every flag of this binary with its current value, by name, except kPerRankFlags and
// the flags that only say where flags came from (--flagfile, --fromenv, --tryfromenv, --undefok).
std::vector<JobSetting> JobDefiningSettings(const std::vector<std::string>& command);

// The error for a rank whose settings differ from rank 0's: `differing` pairs rank 0's setting with the rank's own.
// Names at most the first few settings, each with both values, and what to do.
std::string DescribeDifferentSettings(int rank, const std::string& host,
                                      const std::vector<std::pair<JobSetting, JobSetting>>& differing);

// Collective: fails, naming the lowest rank and its host that differ from rank 0, unless every rank runs the same
// strobe binary (a CRC-32 of /proc/self/exe; mixed builds across hosts would fail later and obscurely, or compute
// differently) with the same JobDefiningSettings (ranks given different flags, say by a --flagfile that differs
// between hosts, would train differently without a word, or wait forever in collectives the others never start).
// Every rank reaches the same verdict. Flag differences are InvalidArgument.
absl::Status CheckRanksRunOneJob(const DistributedContext& context, const std::vector<std::string>& command);

// The two halves of CheckRanksRunOneJob, on a communicator of the job's ranks.
absl::Status CheckSameBinary(Communicator& communicator, const DistributedContext& context);
absl::Status CheckSameSettings(Communicator& communicator, const DistributedContext& context,
                               const std::vector<JobSetting>& settings);

}  // namespace strobe

#endif  // STROBE_APP_SAME_JOB_H_
