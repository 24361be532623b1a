#ifndef STROBE_WORKER_OUTPUT_RUN_DIRECTORY_H_
#define STROBE_WORKER_OUTPUT_RUN_DIRECTORY_H_

#include <string>

#include "absl/status/status.h"

namespace strobe {

// The files a run leaves in its directory.
inline constexpr char kConfigFileName[] = "config.json";
inline constexpr char kMetricsFileName[] = "metrics.jsonl";
inline constexpr char kTensorBoardDirName[] = "tensorboard";  // rank 0's event files: tensorboard --logdir=RUN_DIR

// Rank 0, before training: creates `path` (and parents) if needed and writes the resolved configuration to
// config.json, via a temporary file, fsync and a rename so a reader never sees half a file. Refuses, without touching
// anything, a directory that already holds a run's config.json or metrics, and reports an unwritable directory
// by name.
absl::Status PrepareRunDirectory(const std::string& path, const std::string& config_json);

// Rank 0, before a resumed run (--resume): creates `path` if needed; an existing run's files are kept as they are
// (config.json is written only if absent; metrics are appended to).
absl::Status PrepareResumedRunDirectory(const std::string& path, const std::string& config_json);

}  // namespace strobe

#endif  // STROBE_WORKER_OUTPUT_RUN_DIRECTORY_H_
