#ifndef STROBE_APP_RESUME_POINT_H_
#define STROBE_APP_RESUME_POINT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ops/communicator.h"
#include "worker/checkpoint/checkpoint_store.h"

namespace strobe {

struct ResumePoint {
  std::optional<VerifiedCheckpoint> checkpoint;  // empty: start from scratch
  std::vector<std::string> skipped;              // rank 0: invalid newer checkpoints passed over, and why
};

// Collective. Resolves --resume on rank 0 and tells every rank the answer:
//   ""      no checkpoint;
//   "auto"  the newest checkpoint of `run_dir` that verifies completely (none: start from scratch);
//   PATH    exactly that checkpoint, which must verify, or an error naming it.
// Rank 0 reads and checks every file; the other ranks read only the manifest and check the files they load.
absl::StatusOr<ResumePoint> SelectResumePoint(Communicator& communicator, const std::string& resume,
                                              const std::string& run_dir);

}  // namespace strobe

#endif  // STROBE_APP_RESUME_POINT_H_
