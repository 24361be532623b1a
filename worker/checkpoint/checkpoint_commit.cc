#include "worker/checkpoint/checkpoint_commit.h"

#include <ATen/ATen.h>

#include <cstdio>

#include "absl/strings/str_format.h"
#include "ops/status_agreement.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

absl::Status PrepareStaging(const std::string& run_dir, const std::string& staging) {
  if (absl::Status made = MakeDirectories(CheckpointsDir(run_dir)); !made.ok()) return made;
  if (absl::Status removed = RemoveTree(staging); !removed.ok()) return removed;
  return MakeDirectories(staging);
}

// [crc32, size] of every rank's own file, row r from rank r.
at::Tensor GatherFileSums(Communicator& communicator, const std::string& contents) {
  at::Tensor mine = at::empty({2}, at::kLong);
  mine.data_ptr<int64_t>()[0] = Crc32(contents);
  mine.data_ptr<int64_t>()[1] = static_cast<int64_t>(contents.size());
  return communicator.AllGather(mine);
}

// The rename that makes a checkpoint visible. A step committed before (a stop right after a resume) is kept when it
// verifies; a damaged one (a flipped bit on disk, say) is moved aside, replaced and only then deleted, so at every
// moment the step has a directory and a crash leaves either the old or the new one.
absl::Status CommitStaging(const std::string& staging, const std::string& committed,
                           const ContentCheck& also_check) {
  const std::string parent = committed.substr(0, committed.rfind('/'));
  std::string aside;
  if (IsDirectory(committed)) {
    absl::StatusOr<VerifiedCheckpoint> existing = VerifyCheckpoint(committed);
    const absl::Status usable = existing.ok() && also_check ? also_check(*existing) : existing.status();
    if (usable.ok()) return RemoveTree(staging);
    aside = committed + ".damaged";
    if (absl::Status removed = RemoveTree(aside); !removed.ok()) return removed;
    if (absl::Status moved = RenameFile(committed, aside); !moved.ok()) return moved;
    std::fprintf(stderr, "strobe: warning: replacing a damaged checkpoint: %s\n",
                 std::string(usable.message()).c_str());
  }
  if (absl::Status renamed = RenameFile(staging, committed); !renamed.ok()) return renamed;
  if (absl::Status synced = SyncDirectory(parent); !synced.ok()) return synced;
  return aside.empty() ? absl::OkStatus() : RemoveTree(aside);
}

absl::Status PublishOnRankZero(const std::string& staging, const std::string& committed,
                               CheckpointContribution& contribution, const at::Tensor& rank_sums,
                               const ContentCheck& also_check) {
  Manifest& manifest = contribution.metadata;
  for (const auto& [name, contents] : contribution.shared) {
    if (absl::Status written = WriteFileDurably(JoinPath(staging, name), contents); !written.ok()) return written;
    manifest.AddFile(name, contents);
  }
  for (int64_t rank = 0; rank < rank_sums.size(0); ++rank) {
    const int64_t* sums = rank_sums[rank].data_ptr<int64_t>();
    manifest.AddFile(ManifestFile{RankFileName(static_cast<int>(rank)), sums[1], static_cast<uint32_t>(sums[0])});
  }
  if (absl::Status written = WriteFileDurably(JoinPath(staging, kManifestFileName), manifest.Serialize());
      !written.ok()) {
    return written;
  }
  if (absl::Status synced = SyncDirectory(staging); !synced.ok()) return synced;
  return CommitStaging(staging, committed, also_check);
}

}  // namespace

std::string RankFileName(int rank) { return absl::StrFormat("rank-%05d.pt", rank); }

absl::StatusOr<std::string> CommitCheckpoint(Communicator& communicator, const std::string& run_dir, int64_t step,
                                             CheckpointContribution contribution, const ContentCheck& also_check) {
  const std::string committed = JoinPath(CheckpointsDir(run_dir), CheckpointDirName(step));
  const std::string staging = committed + ".partial";
  const bool root = communicator.rank() == 0;

  absl::Status status = root ? PrepareStaging(run_dir, staging) : absl::OkStatus();
  status = AgreeOnStatus(communicator, status);
  if (!status.ok()) return status;

  status = WriteFileDurably(JoinPath(staging, RankFileName(communicator.rank())), contribution.own);
  const at::Tensor rank_sums = GatherFileSums(communicator, contribution.own);
  status = AgreeOnStatus(communicator, status);
  if (!status.ok()) return status;

  if (root) status = PublishOnRankZero(staging, committed, contribution, rank_sums, also_check);
  status = AgreeOnStatus(communicator, status);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrFormat("checkpoint at step %d not saved: %s", step, status.message()));
  }
  return committed;
}

}  // namespace strobe
