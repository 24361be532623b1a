#include "ops/startup_roll_call.h"

#include <algorithm>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

#if STROBE_WITH_PMIX
#include <pmix.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#endif

namespace strobe {
namespace {

constexpr char kArrivedKey[] = "strobe.arrived";

class UnavailableRollCall : public StartupRollCall {
 public:
  explicit UnavailableRollCall(std::string why) : why_(std::move(why)) {}
  absl::StatusOr<Result> Take(double) override { return absl::UnavailableError(why_); }

 private:
  std::string why_;
};

#if STROBE_WITH_PMIX

class PmixRollCall : public StartupRollCall {
 public:
  explicit PmixRollCall(const pmix_proc_t& me) : me_(me) {}
  ~PmixRollCall() override { PMIx_Finalize(nullptr, 0); }  // drops this reference; MPI keeps its own

  absl::StatusOr<Result> Take(double wait_seconds) override {
    Result result;
    result.my_rank = static_cast<int>(me_.rank);
    pmix_proc_t job;
    PMIX_LOAD_PROCID(&job, me_.nspace, PMIX_RANK_WILDCARD);
    pmix_value_t* size = nullptr;
    if (PMIx_Get(&job, PMIX_JOB_SIZE, nullptr, 0, &size) != PMIX_SUCCESS || size == nullptr) {
      return absl::UnavailableError("the launcher did not say how many ranks the job has");
    }
    result.world_size = static_cast<int>(size->data.uint32);
    PMIX_VALUE_RELEASE(size);

    // All lookups at once, so a thousand missing ranks cost one wait, not a thousand. `lookups_` outlives this
    // call: a lookup still unanswered when the wait ends is answered later, into memory that must still exist.
    lookups_.resize(result.world_size);
    arrived_.assign(result.world_size, false);
    pmix_info_t timeout;
    const int timeout_seconds = std::max(1, static_cast<int>(wait_seconds));
    PMIX_INFO_LOAD(&timeout, PMIX_TIMEOUT, &timeout_seconds, PMIX_INT);
    int asked = 0;
    for (int rank = 0; rank < result.world_size; ++rank) {
      lookups_[rank] = {this, rank};
      pmix_proc_t proc;
      PMIX_LOAD_PROCID(&proc, me_.nspace, rank);
      if (PMIx_Get_nb(&proc, kArrivedKey, &timeout, 1, &PmixRollCall::Answered, &lookups_[rank]) == PMIX_SUCCESS) {
        ++asked;
      }
    }
    PMIX_INFO_DESTRUCT(&timeout);
    std::unique_lock<std::mutex> lock(mutex_);
    answered_.wait_for(lock, std::chrono::duration<double>(timeout_seconds + 2.0), [&] { return answers_ == asked; });
    for (int rank = 0; rank < result.world_size; ++rank) {
      if (arrived_[rank]) {
        result.arrived.push_back(rank);
      } else {
        result.missing.push_back({rank, HostOf(rank)});
      }
    }
    return result;
  }

 private:
  struct Lookup {
    PmixRollCall* owner = nullptr;
    int rank = -1;
  };

  static void Answered(pmix_status_t status, pmix_value_t*, void* context) {
    const auto* lookup = static_cast<const Lookup*>(context);
    PmixRollCall* owner = lookup->owner;
    std::lock_guard<std::mutex> lock(owner->mutex_);
    owner->arrived_[lookup->rank] = status == PMIX_SUCCESS;
    ++owner->answers_;
    owner->answered_.notify_all();
  }

  std::string HostOf(int rank) const {
    pmix_proc_t proc;
    PMIX_LOAD_PROCID(&proc, me_.nspace, rank);
    pmix_value_t* host = nullptr;
    if (PMIx_Get(&proc, PMIX_HOSTNAME, nullptr, 0, &host) != PMIX_SUCCESS || host == nullptr) return "?";
    std::string name = host->type == PMIX_STRING && host->data.string != nullptr ? host->data.string : "?";
    PMIX_VALUE_RELEASE(host);
    return name;
  }

  pmix_proc_t me_;
  std::mutex mutex_;
  std::condition_variable answered_;
  std::vector<Lookup> lookups_;
  std::vector<bool> arrived_;
  int answers_ = 0;
};

#endif  // STROBE_WITH_PMIX

}  // namespace

std::unique_ptr<StartupRollCall> StartupRollCall::Announce() {
#if STROBE_WITH_PMIX
  // A process started without a PMIx server (no launcher, or one that speaks only PMI-1/2) must not try to
  // connect: PMIx_Init would fail after a delay.
  if (std::getenv("PMIX_NAMESPACE") == nullptr) {
    return std::make_unique<UnavailableRollCall>("this process was not started by a PMIx launcher");
  }
  pmix_proc_t me;
  if (PMIx_Init(&me, nullptr, 0) != PMIX_SUCCESS) {
    return std::make_unique<UnavailableRollCall>("the launcher's PMIx server did not answer");
  }
  pmix_value_t arrived;
  const bool yes = true;
  PMIX_VALUE_LOAD(&arrived, &yes, PMIX_BOOL);
  if (PMIx_Put(PMIX_GLOBAL, kArrivedKey, &arrived) != PMIX_SUCCESS || PMIx_Commit() != PMIX_SUCCESS) {
    PMIx_Finalize(nullptr, 0);
    return std::make_unique<UnavailableRollCall>("the launcher's PMIx server refused this process's announcement");
  }
  return std::make_unique<PmixRollCall>(me);
#else
  return std::make_unique<UnavailableRollCall>("this strobe was built without PMIx");
#endif
}

std::string FormatRankRanges(const std::vector<int>& sorted_ranks) {
  std::vector<std::string> parts;
  for (size_t begin = 0; begin < sorted_ranks.size();) {
    size_t end = begin;
    while (end + 1 < sorted_ranks.size() && sorted_ranks[end + 1] == sorted_ranks[end] + 1) ++end;
    parts.push_back(end == begin ? absl::StrCat(sorted_ranks[begin])
                                 : absl::StrCat(sorted_ranks[begin], "-", sorted_ranks[end]));
    begin = end + 1;
  }
  return absl::StrJoin(parts, ",");
}

std::string DescribeStartupFailure(const StartupRollCall::Result& result, double timeout_seconds) {
  if (!result.arrived.empty() && result.arrived.front() != result.my_rank) return "";
  const std::string prefix =
      absl::StrFormat("strobe: error: the job did not start within %g s (--startup_timeout_s): ", timeout_seconds);
  if (result.missing.empty()) {
    return prefix + absl::StrFormat(
                        "all %d ranks started, but MPI initialisation did not finish: the ranks cannot reach each "
                        "other (check the network interfaces MPI uses: deploy/README.md)",
                        result.world_size);
  }
  constexpr size_t kNamedAtMost = 8;
  std::vector<std::string> named;
  for (size_t i = 0; i < result.missing.size() && i < kNamedAtMost; ++i) {
    named.push_back(absl::StrFormat("rank %d (host %s)", result.missing[i].rank, result.missing[i].host));
  }
  std::string missing = absl::StrJoin(named, ", ");
  if (result.missing.size() > kNamedAtMost) {
    std::vector<int> all;
    for (const auto& rank : result.missing) all.push_back(rank.rank);
    missing += absl::StrFormat(" and %d more (ranks %s)", result.missing.size() - kNamedAtMost,
                               FormatRankRanges(all));
  }
  return prefix + absl::StrFormat(
                      "%d of %d ranks never started: %s (not launched, or stuck before MPI initialisation). "
                      "Ranks %s are up and stop now instead of waiting forever",
                      result.missing.size(), result.world_size, missing, FormatRankRanges(result.arrived));
}

}  // namespace strobe
