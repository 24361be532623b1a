// The coordinator's per-step agreement and the checkpoint commit, at 1, 2 and 4 ranks.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "coordinator/step_control.h"
#include "ops/background_communicator.h"
#include "ops/mpi_communicator.h"
#include "tests/mpi/mpi_test_env.h"
#include "worker/checkpoint/checkpoint_commit.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

class StepLinearSchedule : public LrSchedule {
 public:
  double LrAt(int64_t step) const override { return 0.1 + 0.01 * step; }
};

// Every rank's values of `value`, gathered.
std::vector<double> Gathered(Communicator& comm, double value) {
  const at::Tensor all = comm.AllGather(at::full({1}, value, at::kDouble));
  return std::vector<double>(all.data_ptr<double>(), all.data_ptr<double>() + comm.world_size());
}

PlateauOptions TrainLossPlateau() {
  PlateauOptions options;
  options.metric = PlateauMetric::kTrainLoss;
  options.patience = 2;
  options.factor = 0.5;
  options.threshold = 0.0;
  return options;
}

TEST(CoordinatorTest, PlateauFedRankLocalLossesStillGivesEveryRankRankZerosLr) {
  // Each rank's local loss differs, and rank 0's stalls while the others' improve: the plateau is rank 0's (it is
  // fed the global loss in training), so all ranks apply the same, reduced LR.
  MpiCommunicator comm;
  StepCoordinator coordinator(comm, LrController(std::make_unique<StepLinearSchedule>(), TrainLossPlateau()),
                              CheckpointCadence{}, std::nullopt);
  for (int64_t step = 0; step < 6; ++step) {
    const StepControl control = coordinator.Decide(step, 0);
    for (double lr : Gathered(comm, control.lr)) EXPECT_EQ(lr, control.lr) << "step " << step;
    // Rank 0's stalls at observations 2 and 4 (patience 2) halve the LR from steps 3 and 5.
    const double expected = (0.1 + 0.01 * step) * (step >= 5 ? 0.25 : step >= 3 ? 0.5 : 1.0);
    EXPECT_EQ(control.lr, expected) << "step " << step;
    const double local_loss = comm.rank() == 0 ? 1.0 : 1.0 - 0.1 * step;
    coordinator.ObserveGlobal(PlateauMetric::kTrainLoss, local_loss);
  }
}

TEST(CoordinatorTest, PlateauFollowsTheGlobalLossNotOneRanksStall) {
  // As the trainer does: each rank's local loss is all-reduced and the global value observed. Rank 0's own loss
  // stalls, the others' fall fast enough that the average keeps improving: no reduction on more than one rank.
  // Rank 0's local loss alone would have triggered one at the second stall.
  MpiCommunicator comm;
  if (comm.world_size() == 1) GTEST_SKIP() << "one rank: its loss is the global loss";
  StepCoordinator coordinator(comm, LrController(std::make_unique<StepLinearSchedule>(), TrainLossPlateau()),
                              CheckpointCadence{}, std::nullopt);
  Plateau rank_zero_alone(TrainLossPlateau());
  bool local_would_reduce = false;
  for (int64_t step = 0; step < 6; ++step) {
    const StepControl control = coordinator.Decide(step, 0);
    EXPECT_EQ(control.lr, 0.1 + 0.01 * step) << "step " << step;
    const double local_loss = comm.rank() == 0 ? 1.0 : 1.0 - 0.1 * step;
    at::Tensor global = at::full({1}, local_loss, at::kDouble);
    comm.AllReduce(global, ReduceOp::kAverage);
    EXPECT_EQ(coordinator.ObserveGlobal(PlateauMetric::kTrainLoss, global.item<double>()), false);
    local_would_reduce |= rank_zero_alone.Observe(1.0);
  }
  EXPECT_TRUE(local_would_reduce);
}

TEST(CoordinatorTest, AStopRaisedOnOneRankReachesEveryRankAtTheSameStep) {
  MpiCommunicator comm;
  StepCoordinator coordinator(comm, LrController(std::make_unique<StepLinearSchedule>(), std::nullopt),
                              CheckpointCadence{}, std::nullopt);
  const int raiser = comm.world_size() - 1;
  for (int64_t step = 0; step < 5; ++step) {
    const uint32_t local = comm.rank() == raiser && step == 3 ? static_cast<uint32_t>(kStepFlagStop) : 0u;
    const StepControl control = coordinator.Decide(step, local);
    EXPECT_EQ((control.flags & kStepFlagStop) != 0, step == 3) << "step " << step;
    EXPECT_EQ(control.lr, 0.1 + 0.01 * step);  // the LR slot is rank 0's alone
  }
}

// The trainer's order: Begin() before the step, the gradient buckets started during backward, Finish() before the
// optimizer. On the CPU communicator all of them run on its communication thread, in that order on every rank.
TEST(CoordinatorTest, TheControlWordTravelsAheadOfTheStepsBuckets) {
  BackgroundCommunicator comm(std::make_unique<MpiCommunicator>());
  StepCoordinator coordinator(comm, LrController(std::make_unique<StepLinearSchedule>(), std::nullopt),
                              CheckpointCadence{}, std::nullopt);
  const int last = comm.world_size() - 1;
  for (int64_t step = 0; step < 4; ++step) {
    coordinator.Begin(step, comm.rank() == last && step == 2 ? static_cast<uint32_t>(kStepFlagStop) : 0u);
    at::Tensor large = at::full({100000}, static_cast<float>(comm.rank() + 1));  // over 64 KiB: blocking MPI
    at::Tensor small = at::full({10}, static_cast<float>(comm.rank() + 1));
    comm.StartAllReduce(large, ReduceOp::kSum, at::kFloat);
    comm.StartAllReduce(small, ReduceOp::kAverage, at::kFloat);
    const StepControl control = coordinator.Finish();
    EXPECT_EQ(control.lr, 0.1 + 0.01 * step) << "step " << step;
    EXPECT_EQ((control.flags & kStepFlagStop) != 0, step == 2) << "step " << step;
    const float world = static_cast<float>(comm.world_size());
    EXPECT_TRUE(at::equal(large, at::full({100000}, world * (world + 1) / 2))) << "step " << step;
    EXPECT_TRUE(at::equal(small, at::full({10}, (world + 1) / 2))) << "step " << step;
  }
}

TEST(CoordinatorTest, CheckpointCadenceInStepsAndAfterASave) {
  MpiCommunicator comm;
  StepCoordinator coordinator(comm, LrController(std::make_unique<StepLinearSchedule>(), std::nullopt),
                              CheckpointCadence{4, 0.0}, std::nullopt);
  // The flag decided at a step asks for a checkpoint after it, at the boundary step + 1.
  for (int64_t step = 0; step < 6; ++step) {
    const bool flagged = (coordinator.Decide(step, 0).flags & kStepFlagCheckpoint) != 0;
    EXPECT_EQ(flagged, step == 3) << "step " << step;
  }
  coordinator.CheckpointSaved(8);  // e.g. a resume at step 8: the cadence counts from there
  for (int64_t step = 8; step < 13; ++step) {
    const bool flagged = (coordinator.Decide(step, 0).flags & kStepFlagCheckpoint) != 0;
    EXPECT_EQ(flagged, step == 11) << "step " << step;
  }
}

// As a run starts, requests made before it count for the starting boundary; the cadence does not.
TEST(CoordinatorTest, RequestsWaitingAtTheStartAreForTheStartingBoundary) {
  MpiCommunicator comm;
  StepCoordinator coordinator(comm, LrController(std::make_unique<StepLinearSchedule>(), std::nullopt),
                              CheckpointCadence{4, 0.0}, std::nullopt);
  const StepControl quiet = coordinator.AtStart(3, 0);  // resumed at step 3
  EXPECT_EQ(quiet.flags, 0u);
  EXPECT_EQ(quiet.lr, 0.1 + 0.01 * 3);
  const bool raiser = comm.rank() == comm.world_size() - 1;
  EXPECT_NE(coordinator.AtStart(3, raiser ? static_cast<uint32_t>(kStepFlagStop) : 0u).flags & kStepFlagStop, 0u);
  EXPECT_NE(coordinator.Decide(3, 0).flags & kStepFlagCheckpoint, 0u);  // the cadence, for boundary 4
}

TEST(CoordinatorTest, CheckpointCadenceInTime) {
  MpiCommunicator comm;
  StepCoordinator coordinator(comm, LrController(std::make_unique<StepLinearSchedule>(), std::nullopt),
                              CheckpointCadence{0, 0.5 / 60.0}, std::nullopt);  // every half second
  EXPECT_EQ(coordinator.Decide(1, 0).flags & kStepFlagCheckpoint, 0u);
  ::usleep(600 * 1000);
  EXPECT_NE(coordinator.Decide(2, 0).flags & kStepFlagCheckpoint, 0u);  // rank 0's clock decides for everyone
  coordinator.CheckpointSaved(3);  // after step 2
  EXPECT_EQ(coordinator.Decide(3, 0).flags & kStepFlagCheckpoint, 0u);
}

TEST(CoordinatorTest, ControlFileOverrideReachesEveryRankAtTheSameStepAndBadFilesAreIgnored) {
  MpiCommunicator comm;
  const std::string dir = testing::SharedTempDir(comm);
  StepCoordinator coordinator(comm, LrController(std::make_unique<StepLinearSchedule>(), std::nullopt),
                              CheckpointCadence{}, ControlFileWatcher(dir));
  auto write_control = [&](const std::string& text) {
    if (comm.rank() == 0) WriteFileAtomically(JoinPath(dir, "control"), text).IgnoreError();
  };
  for (int64_t step = 0; step < 8; ++step) {
    if (step == 2) write_control("lr_scale = 0.5\ncheckpoint\n");
    if (step == 4) write_control("lr = banana\n");  // malformed: reported on rank 0, nothing changes
    if (step == 6) write_control("lr = 0.001\n");
    const StepControl control = coordinator.Decide(step, 0);
    const double scheduled = 0.1 + 0.01 * step;
    const double expected = step < 2 ? scheduled : step < 6 ? scheduled * 0.5 : 0.001;
    EXPECT_EQ(control.lr, expected) << "step " << step;
    EXPECT_EQ((control.flags & kStepFlagCheckpoint) != 0, step == 2) << "step " << step;
    if (comm.rank() == 0 && step == 4) {
      EXPECT_NE(control.notice.find("line 1: lr needs a positive number, got 'banana'; ignored"), std::string::npos)
          << control.notice;
    }
    if (comm.rank() == 0 && step == 6) {
      EXPECT_NE(control.notice.find("applied from step 6"), std::string::npos);
    }
  }
  comm.Barrier();
  if (comm.rank() == 0) {
    EXPECT_TRUE(PathExists(JoinPath(dir, "control.rejected")));
  }
  comm.Barrier();
  if (comm.rank() == 0) RemoveTree(dir).IgnoreError();
}

TEST(CheckpointCommitTest, EveryRanksFileAndTheSharedOnesAreCommittedWithChecksums) {
  MpiCommunicator comm;
  const std::string run_dir = testing::SharedTempDir(comm);
  CheckpointContribution contribution;
  contribution.own = "state of rank " + std::to_string(comm.rank());
  contribution.shared = {{"model.pt", "weights"}};
  contribution.metadata.Set("step", "7");
  absl::StatusOr<std::string> committed = CommitCheckpoint(comm, run_dir, 7, contribution);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, JoinPath(CheckpointsDir(run_dir), CheckpointDirName(7)));
  EXPECT_FALSE(PathExists(*committed + ".partial"));

  absl::StatusOr<VerifiedCheckpoint> verified = VerifyCheckpoint(*committed);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->manifest.files().size(), static_cast<size_t>(comm.world_size()) + 1);
  for (int rank = 0; rank < comm.world_size(); ++rank) {
    EXPECT_EQ(*ReadCheckpointFile(*verified, RankFileName(rank)), "state of rank " + std::to_string(rank));
  }
  EXPECT_EQ(*ReadCheckpointFile(*verified, "model.pt"), "weights");

  // Committing the same step again keeps the first commit untouched.
  comm.Barrier();  // every rank checked above before anyone stages the second commit
  contribution.shared = {{"model.pt", "other weights"}};
  ASSERT_TRUE(CommitCheckpoint(comm, run_dir, 7, contribution).ok());
  EXPECT_EQ(*ReadCheckpointFile(*VerifyCheckpoint(*committed), "model.pt"), "weights");
  comm.Barrier();
  if (comm.rank() == 0) RemoveTree(run_dir).IgnoreError();
}

}  // namespace
}  // namespace strobe
