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

TEST(TrainingStateTest, ACheckpointOfAnotherShapeIsRejectedAndNothingLoads) {
  MpiCommunicator comm;
  TrainConfig config;
  config.model = "resnet20";
  config.run_dir = testing::SharedTempDir(comm);
  StepCoordinator coordinator(comm, LrController(std::make_unique<ConstantSchedule>(), std::nullopt),
                              CheckpointCadence{}, std::nullopt);

  torch::manual_seed(1);
  std::shared_ptr<Classifier> ten_classes = *MakeModel("resnet20", 1, 10);
  std::unique_ptr<torch::optim::SGD> sgd = MakeSgd(*ten_classes, config.sgd);
  TrainingState saved{*ten_classes, *sgd, nullptr, coordinator, DataPosition{3, 0, 300}, LossWindow{}};
  absl::StatusOr<std::string> path = SaveTrainingState(comm, config, /*dataset_size=*/1000, saved, nullptr);
  ASSERT_TRUE(path.ok()) << path.status();

  std::shared_ptr<Classifier> five_classes = *MakeModel("resnet20", 1, 5);
  std::unique_ptr<torch::optim::SGD> other_sgd = MakeSgd(*five_classes, config.sgd);
  std::vector<at::Tensor> before;
  for (const at::Tensor& parameter : five_classes->parameters()) before.push_back(parameter.clone());
  TrainingState target{*five_classes, *other_sgd, nullptr, coordinator, DataPosition{}, LossWindow{}};
  absl::StatusOr<VerifiedCheckpoint> checkpoint = VerifyCheckpoint(*path);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  absl::StatusOr<std::string> restored = RestoreTrainingState(*checkpoint, config, 1000, comm, target);
  EXPECT_EQ(restored.status().message(), "checkpoint " + *path +
                                             ": model.pt: 'fc.weight' has shape [10, 64], this model's has [5, 64]");
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], five_classes->parameters()[i]));
  EXPECT_EQ(target.position.step, 0);

  // The same model restores, with its data position.
  std::shared_ptr<Classifier> same = *MakeModel("resnet20", 1, 10);
  std::unique_ptr<torch::optim::SGD> same_sgd = MakeSgd(*same, config.sgd);
  TrainingState again{*same, *same_sgd, nullptr, coordinator, DataPosition{}, LossWindow{}};
  restored = RestoreTrainingState(*checkpoint, config, 1000, comm, again);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(again.position.step, 3);
  EXPECT_EQ(again.position.epoch_samples_done, 300);
  for (const auto& item : same->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), ten_classes->named_parameters()[item.key()])) << item.key();
  }
  comm.Barrier();
  if (comm.rank() == 0) RemoveTree(config.run_dir).IgnoreError();
}

}  // namespace
}  // namespace strobe
