#include "worker/stall_watchdog.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/temp_dir.h"
#include "worker/lost_ranks.h"

namespace strobe {
namespace {

Heartbeat At(int64_t step, RunPhase phase, double seconds, int64_t written_ms, const std::string& host) {
  return Heartbeat{step, phase, seconds, written_ms, 4242, host};
}

TEST(HeartbeatFileTest, RoundTripsAndRejectsWhatIsNotOne) {
  testing::TempDir run;
  ASSERT_TRUE(MakeDirectories(run.Path("heartbeat")).ok());
  ASSERT_TRUE(WriteHeartbeat(run.path(), 3, At(40, RunPhase::kData, 12.5, 1700000000123, "node 7")).ok());
  const std::optional<Heartbeat> read = ReadHeartbeat(run.path(), 3);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->step, 40);
  EXPECT_EQ(read->phase, RunPhase::kData);
  EXPECT_DOUBLE_EQ(read->seconds_in_phase, 12.5);
  EXPECT_EQ(read->written_unix_ms, 1700000000123);
  EXPECT_EQ(read->pid, 4242);
  EXPECT_EQ(read->host, "node 7");
  EXPECT_FALSE(ReadHeartbeat(run.path(), 4).has_value());
  testing::WriteFile(HeartbeatPath(run.path(), 5), "40 99 1 2 3 h\n");  // no such phase
  EXPECT_FALSE(ReadHeartbeat(run.path(), 5).has_value());
}

TEST(StallVerdictTest, NamesTheRankThatNeverReachedTheAllReduce) {
  const int64_t now = 1700000100000;
  // Rank 0 waits in the all-reduce of step 40; rank 1 stopped in forward/backward 60 s ago; rank 2 waits too.
  std::vector<std::optional<Heartbeat>> all = {
      std::nullopt,  // rank 0's own file is stale; its live reading counts
      At(40, RunPhase::kCompute, 2.0, now - 60000, "n1"),
      At(40, RunPhase::kAllReduce, 58.0, now - 1000, "n2")};
  const StallVerdict verdict =
      JudgeStall(0, ProgressBeacon::Reading{40, RunPhase::kAllReduce, 61.0}, "n0", all, now, 30.0);
  EXPECT_EQ(verdict.behind, std::vector<int>{1});
  EXPECT_EQ(verdict.reporter, 0);
  EXPECT_EQ(verdict.message,
            "stalled: rank 0 on n0 has been in all-reduce at step 40 for 61 s (--stall_timeout_s=30); 1 of 3 ranks "
            "hold it up: rank 1 (host n1, pid 4242): step 40, forward/backward for 62 s, silent for 60 s "
            "(stopped or its host is down?)");
}

TEST(StallVerdictTest, TheLowestWaitingRankReportsAndARankBehindIsNamedByItsStepAndPhase) {
  const int64_t now = 1700000100000;
  // Rank 0 is stuck reading data at step 7 (its watchdog still writes); ranks 1 and 2 wait at step 7's control.
  std::vector<std::optional<Heartbeat>> all = {At(7, RunPhase::kData, 40.0, now - 500, "n0"),
                                               At(7, RunPhase::kAllReduce, 39.0, now - 500, "n1"), std::nullopt};
  const StallVerdict seen_by_2 =
      JudgeStall(2, ProgressBeacon::Reading{7, RunPhase::kAllReduce, 40.0}, "n2", all, now, 30.0);
  EXPECT_EQ(seen_by_2.behind, std::vector<int>{0});
  EXPECT_EQ(seen_by_2.reporter, 1);
  EXPECT_NE(seen_by_2.message.find("rank 0 (host n0, pid 4242): step 7, data for 40 s"), std::string::npos)
      << seen_by_2.message;
  EXPECT_EQ(seen_by_2.message.find("silent"), std::string::npos) << seen_by_2.message;

  // Seen by the stuck rank itself: the same verdict, so it leaves the report to rank 1.
  const StallVerdict seen_by_0 =
      JudgeStall(0, ProgressBeacon::Reading{7, RunPhase::kData, 41.0}, "n0", all, now, 30.0);
  EXPECT_EQ(seen_by_0.reporter, 1);
  EXPECT_EQ(seen_by_0.behind, (std::vector<int>{0, 2}));  // rank 2 had not written a heartbeat here
}

TEST(StallVerdictTest, ARankStoppedInsideTheAllReduceIsNamedByItsSilence) {
  const int64_t now = 1700000100000;
  // Rank 1 entered step 12's all-reduce and was stopped there: its last heartbeat, 11 s old, says all-reduce.
  std::vector<std::optional<Heartbeat>> all = {std::nullopt, At(12, RunPhase::kAllReduce, 0.3, now - 11000, "n1")};
  const ProgressBeacon::Reading mine{12, RunPhase::kAllReduce, 11.0};
  const StallVerdict verdict = JudgeStall(0, mine, "n0", all, now, 10.0);
  EXPECT_EQ(verdict.behind, std::vector<int>{1});
  EXPECT_EQ(verdict.reporter, 0);
  EXPECT_NE(verdict.message.find("rank 1 (host n1, pid 4242): step 12, all-reduce for 11 s, silent for 11 s"),
            std::string::npos)
      << verdict.message;

  // Written 3 s ago (under half the 10 s timeout), the same heartbeat is a live rank waiting alongside.
  all[1]->written_unix_ms = now - 3000;
  EXPECT_TRUE(JudgeStall(0, mine, "n0", all, now, 10.0).behind.empty());
}

TEST(StallVerdictTest, EveryRankWaitingMeansTheCollectiveItselfHangs) {
  const int64_t now = 1700000100000;
  std::vector<std::optional<Heartbeat>> all = {std::nullopt, At(9, RunPhase::kAllReduce, 35.0, now - 100, "n1")};
  const StallVerdict verdict =
      JudgeStall(0, ProgressBeacon::Reading{9, RunPhase::kAllReduce, 35.0}, "n0", all, now, 30.0);
  EXPECT_TRUE(verdict.behind.empty());
  EXPECT_NE(verdict.message.find("every rank is waiting in it, so the collective itself does not complete"),
            std::string::npos)
      << verdict.message;
}

TEST(LostRankVerdictTest, TheLowestLiveRankOfTheHostNamesTheRanksWhoseProcessesEnded) {
  // Ranks 0 and 2 of host n0 are gone; rank 1 (n0) and rank 3 (n1, whose processes n0 cannot see) are alive.
  const std::vector<std::optional<Heartbeat>> all = {Heartbeat{40, RunPhase::kCompute, 0.1, 7000, 100, "n0"},
                                                     Heartbeat{40, RunPhase::kAllReduce, 0.5, 9000, 101, "n0"},
                                                     Heartbeat{39, RunPhase::kData, 0.2, 4000, 102, "n0"},
                                                     Heartbeat{40, RunPhase::kAllReduce, 0.5, 9000, 103, "n1"}};
  const int64_t now = 10000;
  const auto exists = [](int64_t pid) { return pid == 101 || pid == 103; };
  const ProgressBeacon::Reading waiting{40, RunPhase::kAllReduce, 1.25};
  const LostRankVerdict seen_by_1 = JudgeLostRanks(1, waiting, "n0", all, now, exists);
  EXPECT_EQ(seen_by_1.gone, (std::vector<int>{0, 2}));
  EXPECT_EQ(seen_by_1.reporter, 1);
  EXPECT_EQ(seen_by_1.message,
            "rank 0 (host n0, pid 100; its last heartbeat, 3 s old: step 40, forward/backward), rank 2 (host n0, "
            "pid 102; its last heartbeat, 6 s old: step 39, data) ended while the job ran, and the launcher is ending "
            "the job: rank 1 on n0 waited for them in all-reduce at step 40 for 1.2 s. Why it ended is in its own "
            "output or this host's kernel log (out of memory?)");

  // Rank 3 sees no process of its own host gone: it says nothing (the launcher's SIGKILL follows).
  const LostRankVerdict seen_by_3 = JudgeLostRanks(3, waiting, "n1", all, now, exists);
  EXPECT_TRUE(seen_by_3.gone.empty());
  EXPECT_TRUE(seen_by_3.message.empty());

  // A preemption's SIGTERM while every rank is alive: nothing to report.
  const auto all_exist = [](int64_t) { return true; };
  EXPECT_TRUE(JudgeLostRanks(1, waiting, "n0", all, now, all_exist).gone.empty());
}

TEST(LostRankVerdictTest, ProcessExistsSeesThisProcessAndNotAReapedChild) {
  EXPECT_TRUE(ProcessExists(getpid()));
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(ProcessExists(child));
}

TEST(ProgressBeaconTest, APhaseScopeRestoresThePhaseBeforeIt) {
  ProgressBeacon beacon;
  beacon.SetStep(5);
  {
    PhaseScope compute(&beacon, RunPhase::kCompute);
    {
      PhaseScope reduce(&beacon, RunPhase::kAllReduce);
      EXPECT_EQ(beacon.Read().phase, RunPhase::kAllReduce);
    }
    EXPECT_EQ(beacon.Read().phase, RunPhase::kCompute);
  }
  EXPECT_EQ(beacon.Read().phase, RunPhase::kStarting);
  EXPECT_EQ(beacon.Read().step, 5);
  EXPECT_LT(beacon.Read().seconds_in_phase, 1.0);
  PhaseScope nothing(nullptr, RunPhase::kData);  // no watchdog: a no-op
}

}  // namespace
}  // namespace strobe
