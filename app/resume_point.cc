#include "app/resume_point.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

#include "ops/status_agreement.h"
#include "worker/training_state.h"

namespace strobe {
namespace {

absl::StatusOr<std::optional<VerifiedCheckpoint>> ChooseOnRankZero(const std::string& resume,
                                                                   const std::string& run_dir,
                                                                   std::vector<std::string>& skipped) {
  if (resume.empty()) return std::optional<VerifiedCheckpoint>();
  if (resume != "auto") {
    absl::StatusOr<VerifiedCheckpoint> checkpoint = VerifyCheckpoint(resume);
    absl::Status usable = checkpoint.ok() ? CheckCheckpointFinite(*checkpoint) : checkpoint.status();
    if (!usable.ok()) return absl::Status(usable.code(), absl::StrCat("--resume: ", usable.message()));
    return std::optional<VerifiedCheckpoint>(*std::move(checkpoint));
  }
  absl::StatusOr<VerifiedCheckpoint> newest = FindNewestValidCheckpoint(run_dir, skipped, CheckCheckpointFinite);
  if (absl::IsNotFound(newest.status())) return std::optional<VerifiedCheckpoint>();
  if (!newest.ok()) return newest.status();
  return std::optional<VerifiedCheckpoint>(*std::move(newest));
}

// Rank 0's string on every rank.
std::string BroadcastString(Communicator& communicator, const std::string& text) {
  at::Tensor length = at::full({1}, static_cast<int64_t>(text.size()), at::kLong);
  communicator.Broadcast(length, /*root=*/0);
  at::Tensor bytes = at::zeros({std::max<int64_t>(length.item<int64_t>(), 1)}, at::kByte);
  if (communicator.rank() == 0) std::memcpy(bytes.data_ptr<uint8_t>(), text.data(), text.size());
  communicator.Broadcast(bytes, /*root=*/0);
  return std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()), length.item<int64_t>());
}

}  // namespace

absl::StatusOr<ResumePoint> SelectResumePoint(Communicator& communicator, const std::string& resume,
                                              const std::string& run_dir) {
  ResumePoint point;
  absl::StatusOr<std::optional<VerifiedCheckpoint>> chosen = std::optional<VerifiedCheckpoint>();
  if (communicator.rank() == 0) chosen = ChooseOnRankZero(resume, run_dir, point.skipped);
  if (absl::Status agreed = AgreeOnStatus(communicator, chosen.status()); !agreed.ok()) return agreed;

  const std::string path = BroadcastString(communicator, chosen->has_value() ? (*chosen)->path : "");
  if (path.empty()) return point;
  absl::StatusOr<VerifiedCheckpoint> opened =
      communicator.rank() == 0 ? absl::StatusOr<VerifiedCheckpoint>(**std::move(chosen)) : OpenCheckpoint(path);
  if (absl::Status agreed = AgreeOnStatus(communicator, opened.status()); !agreed.ok()) return agreed;
  point.checkpoint = *std::move(opened);
  return point;
}

}  // namespace strobe
