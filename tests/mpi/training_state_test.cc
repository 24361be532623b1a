// Saving and restoring the training state through a real checkpoint, at 1, 2 and 4 ranks.
#include "worker/training_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ops/mpi_communicator.h"
#include "tests/mpi/mpi_test_env.h"
#include "worker/checkpoint/checkpoint_store.h"
#include "worker/file_system.h"
#include "worker/models/model_zoo.h"
#include "worker/optimizer.h"

namespace strobe {
namespace {

class ConstantSchedule : public LrSchedule {
 public:
  double LrAt(int64_t) const override { return 0.1; }
};

// A run directory shared by the ranks, a resnet20 run on 1000 samples and a coordinator with a constant LR.
class TrainingStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run.model = "resnet20";
    run.seed = 1;
    run.global_batch = 128;
    run.data_order = "shuffled";
    run.mix_partners = "none";
    run.dataset_size = 1000;
    run.steps_per_epoch = 1000 / 128;
    run.run_dir = testing::SharedTempDir(comm);
  }
  void TearDown() override {
    comm.Barrier();
    if (comm.rank() == 0) RemoveTree(run.run_dir).IgnoreError();
  }

  MpiCommunicator comm;
  CheckpointedRun run;
  StepCoordinator coordinator{comm, LrController(std::make_unique<ConstantSchedule>(), std::nullopt),
                              CheckpointCadence{}, std::nullopt};
};

TEST_F(TrainingStateTest, ACheckpointOfAnotherShapeIsRejectedAndNothingLoads) {
  torch::manual_seed(1);
  std::shared_ptr<Classifier> ten_classes = *MakeModel("resnet20", 1, 10);
  std::unique_ptr<Optimizer> sgd = MakeOptimizer(*ten_classes, OptimizerOptions{});
  TrainingState saved{*ten_classes, *sgd, nullptr, coordinator, DataPosition{3, 0, 300}, LossWindow{}};
  absl::StatusOr<std::string> path = SaveTrainingState(comm, run, saved, nullptr);
  ASSERT_TRUE(path.ok()) << path.status();

  std::shared_ptr<Classifier> five_classes = *MakeModel("resnet20", 1, 5);
  std::unique_ptr<Optimizer> other_sgd = MakeOptimizer(*five_classes, OptimizerOptions{});
  std::vector<at::Tensor> before;
  for (const at::Tensor& parameter : five_classes->parameters()) before.push_back(parameter.clone());
  TrainingState target{*five_classes, *other_sgd, nullptr, coordinator, DataPosition{}, LossWindow{}};
  absl::StatusOr<VerifiedCheckpoint> checkpoint = VerifyCheckpoint(*path);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  absl::StatusOr<std::string> restored = RestoreTrainingState(*checkpoint, run, comm, target);
  EXPECT_EQ(restored.status().message(), "checkpoint " + *path +
                                             ": model.pt: 'fc.weight' has shape [10, 64], this model's has [5, 64]");
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], five_classes->parameters()[i]));
  EXPECT_EQ(target.position.step, 0);

  // The same model restores, with its data position.
  std::shared_ptr<Classifier> same = *MakeModel("resnet20", 1, 10);
  std::unique_ptr<Optimizer> same_sgd = MakeOptimizer(*same, OptimizerOptions{});
  TrainingState again{*same, *same_sgd, nullptr, coordinator, DataPosition{}, LossWindow{}};
  restored = RestoreTrainingState(*checkpoint, run, comm, again);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(again.position.step, 3);
  EXPECT_EQ(again.position.epoch_samples_done, 300);
  for (const auto& item : same->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), ten_classes->named_parameters()[item.key()])) << item.key();
  }
}

TEST_F(TrainingStateTest, TheFp16LossScaleTravelsWithTheCheckpoint) {
  torch::manual_seed(1);
  std::shared_ptr<Classifier> model = *MakeModel("resnet20", 1, 10);
  std::unique_ptr<Optimizer> sgd = MakeOptimizer(*model, OptimizerOptions{});
  DynamicLossScaler scaler;
  scaler.Restore({2048.0, 77});
  const TrainingState saved{*model, *sgd, nullptr, coordinator, DataPosition{5, 0, 500}, LossWindow{}, &scaler};
  absl::StatusOr<std::string> path = SaveTrainingState(comm, run, saved, nullptr);
  ASSERT_TRUE(path.ok()) << path.status();
  absl::StatusOr<VerifiedCheckpoint> checkpoint = VerifyCheckpoint(*path);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();

  DynamicLossScaler resumed;
  TrainingState target{*model, *sgd, nullptr, coordinator, DataPosition{}, LossWindow{}, &resumed};
  ASSERT_TRUE(RestoreTrainingState(*checkpoint, run, comm, target).ok());
  EXPECT_EQ(resumed.state().scale, 2048.0);
  EXPECT_EQ(resumed.state().clean_steps, 77);
  // A run without fp16 saved no scale: a scaler resuming from it starts afresh.
  const TrainingState plain{*model, *sgd, nullptr, coordinator, DataPosition{6, 0, 600}, LossWindow{}};
  path = SaveTrainingState(comm, run, plain, nullptr);
  ASSERT_TRUE(path.ok()) << path.status();
  checkpoint = VerifyCheckpoint(*path);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  DynamicLossScaler fresh;
  target.loss_scaler = &fresh;
  ASSERT_TRUE(RestoreTrainingState(*checkpoint, run, comm, target).ok());
  EXPECT_EQ(fresh.state().scale, DynamicLossScaler::State{}.scale);
}

TEST_F(TrainingStateTest, TheImageSizeScheduleIsPartOfTheResumeState) {
  torch::manual_seed(1);
  std::shared_ptr<Classifier> model = *MakeModel("resnet20", 1, 10);
  std::unique_ptr<Optimizer> sgd = MakeOptimizer(*model, OptimizerOptions{});
  run.image_size_schedule = "16@0,24@1";
  const TrainingState saved{*model, *sgd, nullptr, coordinator, DataPosition{5, 0, 500}, LossWindow{}};
  absl::StatusOr<std::string> path = SaveTrainingState(comm, run, saved, nullptr);
  ASSERT_TRUE(path.ok()) << path.status();
  absl::StatusOr<VerifiedCheckpoint> checkpoint = VerifyCheckpoint(*path);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->manifest.Get("image_size_schedule"), "16@0,24@1");

  TrainingState target{*model, *sgd, nullptr, coordinator, DataPosition{}, LossWindow{}};
  CheckpointedRun other = run;
  other.image_size_schedule = "16@0,32@1";
  EXPECT_EQ(RestoreTrainingState(*checkpoint, other, comm, target).status().message(),
            "checkpoint " + *path + " was trained with --image_size_schedule=16@0,24@1, but this run has "
            "--image_size_schedule=16@0,32@1: resume with the checkpoint's schedule");
  other.image_size_schedule = "";
  EXPECT_EQ(RestoreTrainingState(*checkpoint, other, comm, target).status().message(),
            "checkpoint " + *path + " was trained with --image_size_schedule=16@0,24@1, but this run has no "
            "--image_size_schedule: resume with the checkpoint's schedule");
  EXPECT_EQ(target.position.step, 0);
  ASSERT_TRUE(RestoreTrainingState(*checkpoint, run, comm, target).ok());
  EXPECT_EQ(target.position.step, 5);
}

}  // namespace
}  // namespace strobe
