#include "app/same_job.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ops/status_agreement.h"
#include "worker/checkpoint/manifest.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

constexpr size_t kDifferencesNamed = 6;

bool ComparedAcrossRanks(absl::string_view flag) {
  for (const char* where_flags_came_from : {"flagfile", "fromenv", "tryfromenv", "undefok"}) {
    if (flag == where_flags_came_from) return false;
  }
  return std::find(std::begin(kPerRankFlags), std::end(kPerRankFlags), flag) == std::end(kPerRankFlags);
}

// Rank `root`'s host and the values of `settings` picked by `indices`, on every rank.
std::pair<std::string, std::vector<std::string>> ValuesOf(Communicator& communicator, int root,
                                                          const std::string& host,
                                                          const std::vector<JobSetting>& settings,
                                                          const std::vector<size_t>& indices) {
  std::vector<std::string> fields = {host};
  for (size_t index : indices) fields.push_back(settings[index].value);
  const std::string joined = BroadcastText(communicator, absl::StrJoin(fields, std::string(1, '\0')), root);
  std::vector<std::string> received = absl::StrSplit(joined, '\0');
  const std::string root_host = received.front();
  received.erase(received.begin());
  return {root_host, received};
}

}  // namespace

std::vector<JobSetting> JobDefiningSettings(const std::vector<std::string>& command) {
  std::vector<JobSetting> settings = {{"command", absl::StrJoin(command, " ")}};
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (ComparedAcrossRanks(name)) settings.push_back({std::string(name), flag->CurrentValue()});
  }
  // The map's order is its own: sorted, every rank lists the same flags in the same order.
  std::sort(settings.begin() + 1, settings.end(),
            [](const JobSetting& a, const JobSetting& b) { return a.name < b.name; });
  return settings;
}

std::string DescribeDifferentSettings(int rank, const std::string& host,
                                      const std::vector<std::pair<JobSetting, JobSetting>>& differing) {
  std::vector<std::string> named;
  for (size_t i = 0; i < differing.size() && i < kDifferencesNamed; ++i) {
    const auto& [rank0, other] = differing[i];
    const std::string prefix = rank0.name == "command" ? "" : "--" + rank0.name + "=";
    named.push_back(absl::StrFormat("%s%s (rank 0: %s%s)", prefix, other.value, prefix, rank0.value));
  }
  const std::string more =
      differing.size() > kDifferencesNamed ? absl::StrFormat(" and %d more", differing.size() - kDifferencesNamed) : "";
  return absl::StrFormat(
      "rank %d on %s was started with other settings than rank 0: %s%s. Every rank of a job must get the same flags "
      "(only --%s may differ): check each host's --flagfile and the launch command",
      rank, host, absl::StrJoin(named, ", "), more, absl::StrJoin(kPerRankFlags, ", --"));
}

absl::Status CheckSameBinary(Communicator& communicator, const DistributedContext& context) {
  absl::StatusOr<std::string> binary = ReadFile("/proc/self/exe");
  const int64_t crc = binary.ok() ? static_cast<int64_t>(Crc32(*binary)) : -1;
  const std::optional<RankDifference> other = FirstRankThatDiffers(communicator, crc);
  if (!other.has_value()) return absl::OkStatus();
  const std::string host = BroadcastText(communicator, context.host, other->rank);
  return absl::FailedPreconditionError(absl::StrFormat(
      "rank %d: its strobe binary on %s differs from rank 0's (CRC-32 %08x vs %08x): install the same build at the "
      "same path on every host",
      other->rank, host, other->value, other->rank0_value));
}

absl::Status CheckSameSettings(Communicator& communicator, const DistributedContext& context,
                               const std::vector<JobSetting>& settings) {
  // The same binary defines the same flags; the count is compared anyway, since gathering lists of unequal
  // lengths is undefined.
  const auto count = static_cast<int64_t>(settings.size());
  if (std::optional<RankDifference> other = FirstRankThatDiffers(communicator, count); other.has_value()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rank %d has %d settings to compare and rank 0 %d: run the same strobe build on every rank", other->rank,
        other->value, other->rank0_value));
  }
  at::Tensor mine = at::empty({count}, at::kLong);
  for (int64_t i = 0; i < count; ++i) {
    mine[i] = static_cast<int64_t>(Crc32(settings[i].name + '\0' + settings[i].value));
  }
  const at::Tensor all = communicator.AllGather(mine).view({communicator.world_size(), count});
  for (int rank = 1; rank < communicator.world_size(); ++rank) {
    const at::Tensor differs = all[rank].ne(all[0]).nonzero().view({-1});
    if (differs.numel() == 0) continue;
    std::vector<size_t> indices;
    for (int64_t i = 0; i < differs.numel(); ++i) indices.push_back(static_cast<size_t>(differs[i].item<int64_t>()));
    // Every rank has the gather, so all take part in fetching both sides' values, and all return the same error.
    const auto [unused_host, rank0_values] = ValuesOf(communicator, 0, context.host, settings, indices);
    const auto [host, values] = ValuesOf(communicator, rank, context.host, settings, indices);
    std::vector<std::pair<JobSetting, JobSetting>> differing;
    for (size_t i = 0; i < indices.size(); ++i) {
      const std::string& name = settings[indices[i]].name;
      differing.push_back({JobSetting{name, rank0_values[i]}, JobSetting{name, values[i]}});
    }
    return absl::InvalidArgumentError(DescribeDifferentSettings(rank, host, differing));
  }
  return absl::OkStatus();
}

absl::Status CheckRanksRunOneJob(const DistributedContext& context, const std::vector<std::string>& command) {
  absl::StatusOr<std::unique_ptr<Communicator>> communicator = MakeCommunicator(CommBackend::kMpi, context);
  if (!communicator.ok()) return communicator.status();
  if (absl::Status same = CheckSameBinary(**communicator, context); !same.ok()) return same;
  return CheckSameSettings(**communicator, context, JobDefiningSettings(command));
}

}  // namespace strobe
