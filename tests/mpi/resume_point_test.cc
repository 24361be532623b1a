// --resume resolved on rank 0 and told to every rank (app/resume_point.h), at 1, 2 and 4 ranks.
#include "app/resume_point.h"

#include <gtest/gtest.h>
#include <torch/serialize.h>

#include "ops/mpi_communicator.h"
#include "tests/mpi/mpi_test_env.h"
#include "worker/checkpoint/checkpoint_commit.h"
#include "worker/file_system.h"

namespace strobe {
namespace {

class ResumePointTest : public ::testing::Test {
 protected:
  void SetUp() override { run_dir = testing::SharedTempDir(comm); }
  void TearDown() override {
    comm.Barrier();
    if (comm.rank() == 0) RemoveTree(run_dir).IgnoreError();
  }

  // A committed checkpoint at `step` with a small file per rank and finite weights and momentum (a resume checks
  // both); returns its path.
  std::string Commit(int64_t step) {
    CheckpointContribution contribution;
    contribution.own = "rank state " + std::to_string(comm.rank());
    if (comm.rank() == 0) {
      c10::Dict<std::string, at::Tensor> tensors;
      tensors.insert("fc.weight", at::ones({2, 3}));
      const std::vector<char> pickled = torch::pickle_save(tensors);
      contribution.shared.emplace_back("model.pt", std::string(pickled.begin(), pickled.end()));
      contribution.shared.emplace_back("optimizer.pt", std::string(pickled.begin(), pickled.end()));
    }
    absl::StatusOr<std::string> path = CommitCheckpoint(comm, run_dir, step, std::move(contribution));
    EXPECT_TRUE(path.ok()) << path.status();
    return *path;
  }

  MpiCommunicator comm;
  std::string run_dir;
};

TEST_F(ResumePointTest, EmptyMeansANewRunAndAutoWithoutCheckpointsStartsFresh) {
  for (const char* resume : {"", "auto"}) {
    absl::StatusOr<ResumePoint> point = SelectResumePoint(comm, resume, run_dir);
    ASSERT_TRUE(point.ok()) << point.status();
    EXPECT_FALSE(point->checkpoint.has_value()) << resume;
  }
}

TEST_F(ResumePointTest, AutoTakesTheNewestValidCheckpointOnEveryRankAndSaysWhatItSkipped) {
  const std::string older = Commit(10);
  const std::string newer = Commit(20);
  comm.Barrier();
  if (comm.rank() == 0) {
    ASSERT_TRUE(WriteFileAtomically(JoinPath(newer, "model.pt"), "damaged").ok());
  }
  comm.Barrier();
  absl::StatusOr<ResumePoint> point = SelectResumePoint(comm, "auto", run_dir);
  ASSERT_TRUE(point.ok()) << point.status();
  ASSERT_TRUE(point->checkpoint.has_value());
  EXPECT_EQ(point->checkpoint->path, older);
  if (comm.rank() == 0) {
    ASSERT_EQ(point->skipped.size(), 1u);
    EXPECT_NE(point->skipped[0].find(newer), std::string::npos) << point->skipped[0];
  }
}

TEST_F(ResumePointTest, APathMustVerifyOrEveryRankGetsTheError) {
  const std::string path = Commit(5);
  absl::StatusOr<ResumePoint> point = SelectResumePoint(comm, path, run_dir);
  ASSERT_TRUE(point.ok()) << point.status();
  ASSERT_TRUE(point->checkpoint.has_value());
  EXPECT_EQ(point->checkpoint->path, path);

  const std::string missing = JoinPath(run_dir, "checkpoints/step-000000099");
  point = SelectResumePoint(comm, missing, run_dir);
  ASSERT_FALSE(point.ok());
  // Agreed from rank 0, which names itself when there are others.
  const std::string prefix = comm.world_size() > 1 ? "rank 0: --resume: " : "--resume: ";
  EXPECT_EQ(point.status().message().find(prefix), 0u) << point.status();
  EXPECT_NE(point.status().message().find(missing), std::string::npos) << point.status();
}

}  // namespace
}  // namespace strobe
