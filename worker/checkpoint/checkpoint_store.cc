#include "worker/checkpoint/checkpoint_store.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

constexpr char kStepPrefix[] = "step-";

bool IsCommittedName(const std::string& name) {
  if (!absl::StartsWith(name, kStepPrefix) || name.size() == sizeof(kStepPrefix) - 1) return false;
  return std::all_of(name.begin() + sizeof(kStepPrefix) - 1, name.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

absl::Status CheckFile(const std::string& checkpoint, const ManifestFile& file, const std::string& contents) {
  if (static_cast<int64_t>(contents.size()) != file.size) {
    return absl::DataLossError(absl::StrFormat("checkpoint %s: %s has %d bytes, the manifest says %d (truncated?)",
                                               checkpoint, file.name, contents.size(), file.size));
  }
  if (Crc32(contents) != file.crc32) {
    return absl::DataLossError(
        absl::StrFormat("checkpoint %s: %s fails its CRC-32 check (corrupted)", checkpoint, file.name));
  }
  return absl::OkStatus();
}

std::optional<double> ValAccuracy(const std::string& checkpoint) {
  absl::StatusOr<std::string> text = ReadFile(JoinPath(checkpoint, kManifestFileName));
  if (!text.ok()) return std::nullopt;
  absl::StatusOr<Manifest> manifest = Manifest::Parse(*text, checkpoint);
  double accuracy = 0;
  if (!manifest.ok() || !absl::SimpleAtod(manifest->Get("val_accuracy"), &accuracy)) return std::nullopt;
  return accuracy;
}

}  // namespace

std::string CheckpointsDir(const std::string& run_dir) { return JoinPath(run_dir, kCheckpointsDirName); }

std::string CheckpointDirName(int64_t step) { return absl::StrFormat("%s%09d", kStepPrefix, step); }

absl::StatusOr<VerifiedCheckpoint> OpenCheckpoint(const std::string& path) {
  if (!IsDirectory(path)) {
    return absl::NotFoundError(absl::StrFormat("checkpoint %s: no such checkpoint directory", path));
  }
  const std::string manifest_path = JoinPath(path, kManifestFileName);
  absl::StatusOr<std::string> text = ReadFile(manifest_path);
  if (!text.ok()) {
    return absl::DataLossError(absl::StrFormat("checkpoint %s: %s is missing: not a committed checkpoint", path,
                                               kManifestFileName));
  }
  absl::StatusOr<Manifest> manifest =
      Manifest::Parse(*text, absl::StrFormat("checkpoint %s: %s", path, kManifestFileName));
  if (!manifest.ok()) return manifest.status();
  return VerifiedCheckpoint{path, *std::move(manifest)};
}

absl::StatusOr<VerifiedCheckpoint> VerifyCheckpoint(const std::string& path) {
  absl::StatusOr<VerifiedCheckpoint> checkpoint = OpenCheckpoint(path);
  if (!checkpoint.ok()) return checkpoint;
  for (const ManifestFile& file : checkpoint->manifest.files()) {
    absl::StatusOr<std::string> contents = ReadFile(JoinPath(path, file.name));
    if (!contents.ok()) {
      return absl::DataLossError(absl::StrFormat("checkpoint %s: %s is missing", path, file.name));
    }
    if (absl::Status checked = CheckFile(path, file, *contents); !checked.ok()) return checked;
  }
  return checkpoint;
}

absl::StatusOr<std::string> ReadCheckpointFile(const VerifiedCheckpoint& checkpoint, const std::string& name) {
  for (const ManifestFile& file : checkpoint.manifest.files()) {
    if (file.name != name) continue;
    absl::StatusOr<std::string> contents = ReadFile(JoinPath(checkpoint.path, name));
    if (!contents.ok()) {
      return absl::DataLossError(absl::StrFormat("checkpoint %s: %s is missing", checkpoint.path, name));
    }
    if (absl::Status checked = CheckFile(checkpoint.path, file, *contents); !checked.ok()) return checked;
    return contents;
  }
  return absl::NotFoundError(absl::StrFormat("checkpoint %s: holds no %s", checkpoint.path, name));
}

std::vector<std::string> ListCheckpoints(const std::string& run_dir) {
  std::vector<std::string> paths;
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(CheckpointsDir(run_dir));
  if (!names.ok()) return paths;
  // Zero-padded step numbers sort by name; wider (later) numbers sort by length first.
  std::vector<std::string> committed;
  for (const std::string& name : *names) {
    if (IsCommittedName(name)) committed.push_back(name);
  }
  std::sort(committed.begin(), committed.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  for (const std::string& name : committed) paths.push_back(JoinPath(CheckpointsDir(run_dir), name));
  return paths;
}

absl::StatusOr<VerifiedCheckpoint> FindNewestValidCheckpoint(const std::string& run_dir,
                                                             std::vector<std::string>& skipped,
                                                             const ContentCheck& also_check) {
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(CheckpointsDir(run_dir));
  for (const std::string& name : names.ok() ? *names : std::vector<std::string>()) {
    if (absl::EndsWith(name, kSetAsideSuffix)) {
      skipped.push_back(absl::StrFormat("checkpoint %s: set aside because training went non-finite at or before it",
                                        JoinPath(CheckpointsDir(run_dir), name)));
    }
  }
  const std::vector<std::string> paths = ListCheckpoints(run_dir);
  for (auto path = paths.rbegin(); path != paths.rend(); ++path) {
    absl::StatusOr<VerifiedCheckpoint> checkpoint = VerifyCheckpoint(*path);
    absl::Status usable = checkpoint.ok() && also_check ? also_check(*checkpoint) : checkpoint.status();
    if (usable.ok()) return checkpoint;
    skipped.push_back(std::string(usable.message()));
  }
  return absl::NotFoundError(absl::StrFormat("%s holds no valid checkpoint", CheckpointsDir(run_dir)));
}

int64_t CheckpointStep(const std::string& path) {
  int64_t step = -1;
  const std::string name = path.substr(path.rfind('/') + 1);
  if (!IsCommittedName(name) || !absl::SimpleAtoi(name.substr(sizeof(kStepPrefix) - 1), &step)) return -1;
  return step;
}

absl::StatusOr<std::vector<std::string>> SetAsideCheckpointsFrom(const std::string& run_dir, int64_t first_step) {
  std::vector<std::string> set_aside;
  for (const std::string& path : ListCheckpoints(run_dir)) {
    if (CheckpointStep(path) < first_step) continue;
    const std::string target = path + kSetAsideSuffix;
    if (absl::Status removed = RemoveTree(target); !removed.ok()) return removed;  // from an earlier divergence
    if (absl::Status renamed = RenameFile(path, target); !renamed.ok()) return renamed;
    set_aside.push_back(target);
  }
  return set_aside;
}

absl::StatusOr<std::vector<std::string>> ApplyRetention(const std::string& run_dir, int64_t keep_last,
                                                        bool keep_best, int64_t keep_newest_before_step) {
  const std::vector<std::string> paths = ListCheckpoints(run_dir);
  std::vector<std::string> deleted;
  const int64_t count = static_cast<int64_t>(paths.size());
  if (keep_last <= 0 || count <= keep_last) return deleted;
  std::optional<std::string> last_good;  // the newest checkpoint from before the first non-finite step
  if (keep_newest_before_step >= 0) {
    for (const std::string& path : paths) {
      if (CheckpointStep(path) < keep_newest_before_step) last_good = path;
    }
  }
  std::optional<std::string> best;
  if (keep_best) {
    std::optional<double> best_accuracy;
    for (const std::string& path : paths) {
      const std::optional<double> accuracy = ValAccuracy(path);
      if (accuracy.has_value() && (!best_accuracy.has_value() || *accuracy > *best_accuracy)) {
        best_accuracy = accuracy;
        best = path;
      }
    }
  }
  for (int64_t i = 0; i < count - keep_last; ++i) {
    if ((best.has_value() && paths[i] == *best) || (last_good.has_value() && paths[i] == *last_good)) continue;
    // Renamed out of the committed names first, so a crash halfway through the removal leaves no torn checkpoint
    // for --resume=auto to trip over.
    const std::string doomed = paths[i] + ".deleted";
    if (absl::Status renamed = RenameFile(paths[i], doomed); !renamed.ok()) return renamed;
    if (absl::Status removed = RemoveTree(doomed); !removed.ok()) return removed;
    deleted.push_back(paths[i]);
  }
  return deleted;
}

}  // namespace strobe
