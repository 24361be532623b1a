#ifndef STROBE_WORKER_CHECKPOINT_CHECKPOINT_COMMIT_H_
#define STROBE_WORKER_CHECKPOINT_CHECKPOINT_COMMIT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ops/communicator.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/checkpoint/manifest.h"

namespace strobe {

using NamedBlob = std::pair<std::string, std::string>;  // file name, contents

// What one rank contributes to a checkpoint. `shared` and `metadata` are used on rank 0 only.
struct CheckpointContribution {
  std::string own;                // this rank's state, saved as RankFileName(rank)
  std::vector<NamedBlob> shared;  // state identical on every rank, written once (model.pt, optimizer.pt, ...)
  Manifest metadata;              // files are added by the commit
};

std::string RankFileName(int rank);

// Collective. Writes a checkpoint for `step` into RUN_DIR/checkpoints so that a crash at any moment leaves either
// no new checkpoint or a complete one:
//  1. rank 0 creates step-N.partial/ (replacing a stale one left by a crash);
//  2. every rank writes and fsyncs its own file there; CRC-32s and sizes are gathered on rank 0;
//  3. a barrier (status agreement): no rank continues if any write failed;
//  4. rank 0 writes and fsyncs the shared files, then the MANIFEST listing every file with its checksum, fsyncs the
//     directory, renames step-N.partial to step-N (the commit point) and fsyncs the parent.
// Other steps' checkpoints are never touched. If step-N is already committed (a stop right after a resume, or a
// run resumed before its damaged last checkpoint), it is kept when it verifies and passes `also_check` (if set),
// and this one is discarded; otherwise it is renamed to step-N.damaged, this one is committed, and only then is
// the damaged copy deleted (a warning names what was wrong with it). Returns the committed path; every rank gets
// the same status.
absl::StatusOr<std::string> CommitCheckpoint(Communicator& communicator, const std::string& run_dir, int64_t step,
                                             CheckpointContribution contribution,
                                             const ContentCheck& also_check = nullptr);

}  // namespace strobe

#endif  // STROBE_WORKER_CHECKPOINT_CHECKPOINT_COMMIT_H_
