#ifndef STROBE_WORKER_CHECKPOINT_CHECKPOINT_STORE_H_
#define STROBE_WORKER_CHECKPOINT_CHECKPOINT_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/checkpoint/manifest.h"

namespace strobe {

// Where checkpoints live: RUN_DIR/checkpoints/step-000000123/ (committed, by rename) next to
// step-000000123.partial/ (being written, or left by a crash; never read).
inline constexpr char kCheckpointsDirName[] = "checkpoints";

std::string CheckpointsDir(const std::string& run_dir);
std::string CheckpointDirName(int64_t step);

// A checkpoint whose manifest and every listed file passed their checksums.
struct VerifiedCheckpoint {
  std::string path;
  Manifest manifest;
};

// Reads and checks the manifest only (the files are checked as ReadCheckpointFile reads them): for ranks that
// load a checkpoint rank 0 already verified.
absl::StatusOr<VerifiedCheckpoint> OpenCheckpoint(const std::string& path);

// Reads every file the manifest lists and checks sizes and CRC-32s; the error names the checkpoint, the file and
// the problem (missing, truncated, corrupted, newer format).
absl::StatusOr<VerifiedCheckpoint> VerifyCheckpoint(const std::string& path);

// One file of a verified checkpoint, checked again as it is read (it is read long after the verification).
absl::StatusOr<std::string> ReadCheckpointFile(const VerifiedCheckpoint& checkpoint, const std::string& name);

// Committed checkpoint directories of a run, oldest step first.
std::vector<std::string> ListCheckpoints(const std::string& run_dir);

// The step of a committed checkpoint's path (RUN_DIR/checkpoints/step-000000123 -> 123); -1 for other names.
int64_t CheckpointStep(const std::string& path);

// A check of a verified checkpoint's contents beyond its checksums (e.g. that its weights are finite).
using ContentCheck = std::function<absl::Status(const VerifiedCheckpoint&)>;

// The newest checkpoint that verifies and passes `also_check` (if set); each newer one that does not is described
// in `skipped`, as is each checkpoint set aside by SetAsideCheckpointsFrom. NotFound when the run has none.
absl::StatusOr<VerifiedCheckpoint> FindNewestValidCheckpoint(const std::string& run_dir,
                                                             std::vector<std::string>& skipped,
                                                             const ContentCheck& also_check = nullptr);

// Where a diverged run's later checkpoints go: step-000000123.nonfinite, next to the committed ones, out of reach of
// --resume=auto and retention but kept for a post-mortem.
inline constexpr char kSetAsideSuffix[] = ".nonfinite";

// Rank 0, when a run stops because its training went non-finite: renames every committed checkpoint from
// `first_step` on (their weights may be finite yet already ruined by the steps before the NaN) to its set-aside name,
// replacing one left there by an earlier divergence. Returns the new paths.
absl::StatusOr<std::vector<std::string>> SetAsideCheckpointsFrom(const std::string& run_dir, int64_t first_step);

// After a commit: deletes committed checkpoints beyond the newest `keep_last`, except (keep_best) the one with the
// highest validation accuracy and (keep_newest_before_step >= 0) the newest one from before that step, the run's
// first non-finite step. The newest checkpoint is never deleted. Returns the deleted paths.
absl::StatusOr<std::vector<std::string>> ApplyRetention(const std::string& run_dir, int64_t keep_last,
                                                        bool keep_best, int64_t keep_newest_before_step = -1);

}  // namespace strobe

#endif  // STROBE_WORKER_CHECKPOINT_CHECKPOINT_STORE_H_
