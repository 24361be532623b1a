#include "worker/step_breakdown.h"

#include <gtest/gtest.h>

#include <thread>

namespace strobe {
namespace {

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

double Part(const StepWindow& window, StepPart part) { return window.seconds_per_step[static_cast<int>(part)]; }

TEST(StepTimerTest, GivesEachPartTheTimeSinceTheLastMarkAndAveragesPerStep) {
  StepTimer timer;
  for (int step = 0; step < 2; ++step) {
    timer.BeginStep(/*sampled=*/false);
    Sleep(20);
    timer.Mark(StepPart::kDataWait);
    Sleep(40);
    timer.Mark(StepPart::kBackward);
    timer.Move(StepPart::kBackward, StepPart::kAllReduce, 0.015);
    Sleep(10);
    timer.EndStep();
  }
  const StepWindow window = timer.TakeWindow();
  EXPECT_EQ(window.steps, 2);
  EXPECT_NEAR(Part(window, StepPart::kDataWait), 0.020, 0.008);
  EXPECT_NEAR(Part(window, StepPart::kBackward), 0.025, 0.008);
  EXPECT_DOUBLE_EQ(Part(window, StepPart::kAllReduce), 0.015);
  EXPECT_NEAR(Part(window, StepPart::kOther), 0.010, 0.008);
  EXPECT_NEAR(window.step_seconds(), 0.070, 0.016);
  EXPECT_NEAR(window.busy_seconds(), window.step_seconds() - 0.015, 1e-12);
  EXPECT_EQ(timer.TakeWindow().steps, 0);  // a new window
}

// A report is taken while its own step runs (its fields travel with that step's gradients): the window holds the
// steps that ended, and the step in progress goes whole into the next one.
TEST(StepTimerTest, AWindowTakenDuringAStepLeavesThatStepToTheNextWindow) {
  StepTimer timer;
  timer.BeginStep(/*sampled=*/false);
  Sleep(10);
  timer.Mark(StepPart::kForward);
  timer.EndStep();
  timer.BeginStep(/*sampled=*/false);
  Sleep(30);
  timer.Mark(StepPart::kForward);
  const StepWindow first = timer.TakeWindow();  // mid-step
  Sleep(20);
  timer.Mark(StepPart::kBackward);
  timer.Move(StepPart::kBackward, StepPart::kAllReduce, 0.005);
  timer.EndStep();
  EXPECT_EQ(first.steps, 1);
  EXPECT_NEAR(Part(first, StepPart::kForward), 0.010, 0.006);
  EXPECT_EQ(Part(first, StepPart::kBackward), 0.0);
  const StepWindow second = timer.TakeWindow();
  EXPECT_EQ(second.steps, 1);
  EXPECT_NEAR(Part(second, StepPart::kForward), 0.030, 0.008);
  EXPECT_NEAR(Part(second, StepPart::kBackward), 0.015, 0.008);
  EXPECT_DOUBLE_EQ(Part(second, StepPart::kAllReduce), 0.005);
}

TEST(StepTimerTest, WithADeviceTimesOnlySampledStepsAndWaitsForTheDeviceAtEachMark) {
  int syncs = 0;
  StepTimer timer([&] { ++syncs; });
  EXPECT_FALSE(timer.times_every_step());
  timer.BeginStep(/*sampled=*/false);
  timer.Mark(StepPart::kForward);
  timer.EndStep();
  EXPECT_EQ(syncs, 0);
  timer.BeginStep(/*sampled=*/true);
  timer.Mark(StepPart::kForward);
  timer.EndStep();
  EXPECT_EQ(syncs, 3);  // begin, the mark, the end
  EXPECT_EQ(timer.TakeWindow().steps, 1);
}

StepWindow Window(double forward, double allreduce) {
  StepWindow window;
  window.steps = 10;
  window.seconds_per_step[static_cast<int>(StepPart::kForward)] = forward;
  window.seconds_per_step[static_cast<int>(StepPart::kAllReduce)] = allreduce;
  return window;
}

TEST(ReduceBreakdownTest, MinMedianMaxOverRanksAndTheSlowestRankByBusyTime) {
  // Rank 3 computes longest, so the others wait for it in the all-reduce: every rank's step is equally long.
  const RankBreakdown reduced =
      ReduceBreakdown({Window(0.10, 0.20), Window(0.12, 0.18), Window(0.11, 0.19), Window(0.30, 0.00)});
  const Spread& forward = reduced.parts[static_cast<int>(StepPart::kForward)];
  EXPECT_DOUBLE_EQ(forward.min, 0.10);
  EXPECT_DOUBLE_EQ(forward.median, 0.115);  // even count: the mean of the middle two
  EXPECT_DOUBLE_EQ(forward.max, 0.30);
  EXPECT_DOUBLE_EQ(reduced.step.min, 0.30);
  EXPECT_DOUBLE_EQ(reduced.step.max, 0.30);
  EXPECT_EQ(reduced.slowest_rank, 3);
  EXPECT_TRUE(reduced.straggler);
}

TEST(ReduceBreakdownTest, NoStragglerWithinTenPercentOfTheMedianOrAlone) {
  const RankBreakdown even = ReduceBreakdown({Window(0.100, 0.01), Window(0.105, 0.0), Window(0.109, 0.0)});
  EXPECT_EQ(even.slowest_rank, 2);
  EXPECT_FALSE(even.straggler);  // 0.109 <= 1.1 x 0.105
  EXPECT_FALSE(ReduceBreakdown({Window(0.5, 0.0)}).straggler);
}

}  // namespace
}  // namespace strobe
