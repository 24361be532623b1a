#include <gtest/gtest.h>
#include <torch/torch.h>

#include "augment/soft_targets.h"
#include "coordinator/lr_schedule.h"
#include "coordinator/step_control.h"
#include "ops/gradient_bucketer.h"
#include "ops/mpi_communicator.h"
#include "tests/mpi/mpi_test_env.h"
#include "worker/data/in_memory_source.h"
#include "worker/evaluator.h"
#include "worker/models/model_zoo.h"
#include "worker/optimizer.h"
#include "worker/training_step.h"

namespace strobe {
namespace {

// A small model without BatchNorm: its gradient over a batch does not depend on how the batch is split across
// ranks, so one rank and several ranks must reach the same weights (up to float rounding).
class TinyConvNet : public Classifier {
 public:
  TinyConvNet() {
    conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1)));
    fc_ = register_module("fc", torch::nn::Linear(4 * 6 * 6, 5));
  }
  torch::Tensor forward(torch::Tensor x) override { return fc_(torch::relu(conv_(x)).flatten(1)); }

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::Linear fc_{nullptr};
};

torch::Tensor FlatParameters(Classifier& model) {
  std::vector<torch::Tensor> flat;
  for (const auto& p : model.parameters()) flat.push_back(p.detach().reshape({-1}));
  return torch::cat(flat);
}

// Trains `model` for `steps` steps; each step's global batch is the same on every rank, and this rank trains on
// its slice of it.
void Train(Classifier& model, Communicator& comm, int steps, int64_t global_batch, int64_t cap_bytes) {
  auto sgd = MakeSgd(model, SgdConfig{0.9, true, 1e-3});
  GradientBucketer bucketer(comm, model.parameters(), cap_bytes);
  TrainingStep step(model, *sgd, bucketer);
  const int64_t local = global_batch / comm.world_size();
  for (int s = 0; s < steps; ++s) {
    torch::manual_seed(1000 + s);  // the same global batch on every rank
    torch::Tensor images = torch::randn({global_batch, 1, 6, 6});
    torch::Tensor labels = torch::randint(0, 5, {global_batch}, torch::kLong);
    const int64_t begin = comm.rank() * local;
    // Soft targets (label smoothing) exercise the soft-target loss path.
    step.Run(images.slice(0, begin, begin + local), SmoothedOneHot(labels.slice(0, begin, begin + local), 5, 0.1),
             0.05);
  }
}

TEST(TrainingTest, ParametersAreBitwiseIdenticalOnAllRanksAfterSteps) {
  MpiCommunicator comm;
  torch::manual_seed(17 + comm.rank());  // different initial weights: the broadcast must fix that
  auto model = *MakeModel("resnet20", 1, 5);
  std::vector<torch::Tensor> state = model->parameters();
  for (const auto& b : model->buffers()) state.push_back(b);
  BroadcastTensors(comm, state, 0);
  // Small buckets so several collectives run per step.
  auto sgd = MakeSgd(*model, SgdConfig{});
  GradientBucketer bucketer(comm, model->parameters(), 64 * 1024);
  ASSERT_GT(bucketer.plan().size(), 2u);
  TrainingStep step(*model, *sgd, bucketer);
  for (int s = 0; s < 3; ++s) {
    torch::manual_seed(100 * s + comm.rank());  // every rank sees different data
    step.Run(torch::randn({4, 1, 12, 12}), torch::randint(0, 5, {4}, torch::kLong), 0.1);
  }
  const torch::Tensor all = comm.AllGather(FlatParameters(*model));
  for (int r = 1; r < comm.world_size(); ++r) EXPECT_TRUE(torch::equal(all[0], all[r])) << "rank " << r;
  // And training moved the weights.
  torch::manual_seed(17);
  EXPECT_FALSE(torch::equal(all[0], FlatParameters(**MakeModel("resnet20", 1, 5))));
}

TEST(TrainingTest, OneRankAndAllRanksReachTheSameWeights) {
  MpiCommunicator world;
  MpiCommunicator alone(MPI_COMM_SELF);
  torch::manual_seed(3);
  TinyConvNet distributed;
  torch::manual_seed(3);
  TinyConvNet single;
  const int64_t global_batch = 12;  // divisible by 1, 2, 3, 4 ranks
  Train(distributed, world, 5, global_batch, 256);
  Train(single, alone, 5, global_batch, 1 << 20);
  EXPECT_TRUE(torch::allclose(FlatParameters(distributed), FlatParameters(single), 1e-5, 1e-6))
      << "max difference "
      << (FlatParameters(distributed) - FlatParameters(single)).abs().max().item<float>();
}

TEST(TrainingTest, DistributedEvaluationCountsEverySampleOnceAndMatchesOneProcess) {
  MpiCommunicator world;
  MpiCommunicator alone(MPI_COMM_SELF);
  torch::manual_seed(9);
  auto model = *MakeModel("resnet20", 1, 10);
  ImageDataset data;
  data.images = torch::randint(0, 256, {1001, 1, 8, 8}, torch::kLong).to(torch::kByte);  // uneven shards
  data.labels = torch::randint(0, 10, {1001}, torch::kLong);
  data.num_classes = 10;
  const Normalization norm = ComputeNormalization(data);
  // Train briefly so the BatchNorm statistics differ per rank, then sync them as the trainer does.
  {
    auto sgd = MakeSgd(*model, SgdConfig{});
    GradientBucketer bucketer(world, model->parameters(), kDefaultBucketCapBytes);
    TrainingStep step(*model, *sgd, bucketer);
    torch::manual_seed(world.rank());
    step.Run(GatherImages(data, torch::randint(0, 1001, {8}, torch::kLong), norm),
             torch::randint(0, 10, {8}, torch::kLong), 0.1);
  }
  SyncModelBuffers(*model, world);
  InMemorySource source(data, norm);
  const EvalResult distributed = EvaluateDistributed(*model, source, world, 64);
  const EvalResult single = EvaluateDistributed(*model, source, alone, 64);
  EXPECT_EQ(distributed.samples, 1001);
  EXPECT_EQ(distributed.correct, single.correct);
  EXPECT_NEAR(distributed.loss_sum, single.loss_sum, 1e-3 * single.loss_sum);
  EXPECT_TRUE(model->is_training());
}

TEST(TrainingTest, EveryRankAppliesRankZerosLearningRate) {
  // A schedule that differs per rank: only rank 0's may take effect.
  class RankSchedule : public LrSchedule {
   public:
    explicit RankSchedule(int rank) : rank_(rank) {}
    double LrAt(int64_t step) const override { return 0.001 * step + rank_; }

   private:
    int rank_;
  };
  MpiCommunicator comm;
  StepCoordinator coordinator(comm, LrController(std::make_unique<RankSchedule>(comm.rank()), std::nullopt),
                              CheckpointCadence{}, std::nullopt);
  for (int64_t step = 0; step < 5; ++step) {
    const StepControl control = coordinator.Decide(step, 0);
    EXPECT_EQ(control.lr, 0.001 * step);
    EXPECT_EQ(control.flags, 0u);
  }
}

}  // namespace
}  // namespace strobe
