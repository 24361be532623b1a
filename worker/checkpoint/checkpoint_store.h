#ifndef STROBE_WORKER_CHECKPOINT_CHECKPOINT_STORE_H_
#define STROBE_WORKER_CHECKPOINT_CHECKPOINT_STORE_H_

#include <cstdint>
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

// The newest checkpoint that verifies; each newer one that does not is described in `skipped`. NotFound when the
// run has none that verifies.
absl::StatusOr<VerifiedCheckpoint> FindNewestValidCheckpoint(const std::string& run_dir,
                                                             std::vector<std::string>& skipped);

// After a commit: deletes committed checkpoints beyond the newest `keep_last`, except (keep_best) the one with the
// highest validation accuracy. The newest checkpoint is never deleted. Returns the deleted paths.
absl::StatusOr<std::vector<std::string>> ApplyRetention(const std::string& run_dir, int64_t keep_last,
                                                        bool keep_best);

}  // namespace strobe

#endif  // STROBE_WORKER_CHECKPOINT_CHECKPOINT_STORE_H_
