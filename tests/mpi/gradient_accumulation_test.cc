#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ops/gradient_bucketer.h"
#include "ops/mpi_communicator.h"
#include "tests/mpi/mpi_test_env.h"
#include "worker/optimizer.h"
#include "worker/training_step.h"

namespace strobe {
namespace {

// Counts the all-reduces that pass through it to `inner`.
class CountingCommunicator : public Communicator {
 public:
  explicit CountingCommunicator(Communicator& inner) : inner_(inner) {}
  int rank() const override { return inner_.rank(); }
  int world_size() const override { return inner_.world_size(); }
  void AllReduce(at::Tensor& tensor, ReduceOp op) override {
    ++all_reduces;
    inner_.AllReduce(tensor, op);
  }
  void StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) override {
    ++all_reduces;
    inner_.StartAllReduce(tensor, op, wire);
  }
  void FinishAllReduces() override { inner_.FinishAllReduces(); }
  void Broadcast(at::Tensor& tensor, int root) override { inner_.Broadcast(tensor, root); }
  at::Tensor AllGather(const at::Tensor& tensor) override { return inner_.AllGather(tensor); }
  at::Tensor SendReceive(const at::Tensor& tensor, int destination, int source) override {
    return inner_.SendReceive(tensor, destination, source);
  }
  void Barrier() override { inner_.Barrier(); }

  int64_t all_reduces = 0;

 private:
  Communicator& inner_;
};

// Without BatchNorm, so a batch's gradient does not depend on how it is split into micro-batches.
class SmallNet : public Classifier {
 public:
  SmallNet() {
    torch::manual_seed(3);
    conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 6, 3).padding(1)));
    hidden_ = register_module("hidden", torch::nn::Linear(6 * 6 * 6, 16));
    out_ = register_module("out", torch::nn::Linear(16, 5));
  }
  torch::Tensor forward(torch::Tensor x) override {
    return out_(torch::relu(hidden_(torch::relu(conv_(x)).flatten(1))));
  }

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::Linear hidden_{nullptr};
  torch::nn::Linear out_{nullptr};
};

// This rank's slice of step `step`'s global batch of 8 samples per rank.
std::pair<torch::Tensor, torch::Tensor> RankBatch(const Communicator& comm, int step) {
  const int64_t local = 8;
  torch::manual_seed(500 + step);
  const torch::Tensor images = torch::randn({local * comm.world_size(), 1, 6, 6});
  const torch::Tensor labels = torch::randint(0, 5, {local * comm.world_size()}, torch::kLong);
  const int64_t begin = comm.rank() * local;
  return {images.slice(0, begin, begin + local), labels.slice(0, begin, begin + local)};
}

// Every parameter of `model`, flattened into one tensor.
torch::Tensor FlatWeights(const torch::nn::Module& model) {
  std::vector<torch::Tensor> flat;
  for (const auto& p : model.parameters()) flat.push_back(p.detach().reshape({-1}));
  return torch::cat(flat);
}

TEST(GradientAccumulationTest, NoCollectiveRunsBeforeTheLastMicroBatchAndTheSumIsTheWholeBatchs) {
  MpiCommunicator mpi;
  CountingCommunicator comm(mpi);
  SmallNet whole;
  SmallNet parts;
  BucketerOptions buckets(512);  // several buckets, started from backward
  buckets.overlap = true;
  GradientBucketer whole_bucketer(comm, whole.parameters(), buckets);
  GradientBucketer parts_bucketer(comm, parts.parameters(), buckets);
  ASSERT_GT(parts_bucketer.plan().size(), 2u);
  const auto [images, labels] = RankBatch(comm, 0);

  whole_bucketer.ZeroGrad();
  torch::cross_entropy_loss(whole.forward(images), labels).backward();
  whole_bucketer.AverageGradients();

  comm.all_reduces = 0;
  parts_bucketer.ZeroGrad();
  const auto image_parts = images.chunk(4);
  const auto label_parts = labels.chunk(4);
  for (int part = 0; part < 4; ++part) {
    parts_bucketer.DeferCommunication(part < 3);
    (torch::cross_entropy_loss(parts.forward(image_parts[part]), label_parts[part]) / 4).backward();
    if (part < 3) {
      EXPECT_EQ(comm.all_reduces, 0) << "after micro-batch " << part;
    }
  }
  // The last backward started every bucket, as a step without accumulation does.
  EXPECT_EQ(comm.all_reduces, static_cast<int64_t>(parts_bucketer.plan().size()));
  EXPECT_EQ(parts_bucketer.started_during_backward(), parts_bucketer.plan().size());
  parts_bucketer.AverageGradients();
  EXPECT_EQ(comm.all_reduces, static_cast<int64_t>(parts_bucketer.plan().size()));
  const auto expected = whole.parameters();
  const auto got = parts.parameters();
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(torch::allclose(got[i].grad(), expected[i].grad(), 1e-5, 1e-7)) << i;
  }
}

// --accum_steps=K against K=1 at the same global batch, for every optimizer: the same weights within float
// rounding, and one all-reduce per bucket per step whatever K is.
TEST(GradientAccumulationTest, KMicroBatchesTrainAsTheWholeBatchWithTheSameCollectives) {
  MpiCommunicator mpi;
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdamW, OptimizerKind::kLamb, OptimizerKind::kLars}) {
    OptimizerOptions options;
    options.optimizer = kind;
    std::vector<torch::Tensor> weights;
    std::vector<int64_t> collectives;
    for (int64_t k : {1, 2, 4}) {
      CountingCommunicator comm(mpi);
      SmallNet model;
      auto optimizer = MakeOptimizer(model, options);
      BucketerOptions buckets(512);
      buckets.overlap = true;
      GradientBucketer bucketer(comm, model.parameters(), buckets);
      TrainingStep step(model, *optimizer, bucketer);
      step.UseAccumulation(k);
      for (int s = 0; s < 4; ++s) {
        const auto [images, labels] = RankBatch(comm, s);
        step.Run(images, labels, 0.05);
      }
      weights.push_back(FlatWeights(model));
      collectives.push_back(comm.all_reduces);
    }
    const std::string name = OptimizerOptions::OptimizerName(kind);
    EXPECT_GT((weights[0] - FlatWeights(SmallNet())).abs().max().item<double>(), 1e-3) << name << ": training moved";
    for (size_t i = 1; i < weights.size(); ++i) {
      EXPECT_TRUE(torch::allclose(weights[i], weights[0], 1e-4, 1e-6))
          << name << " K=" << (1 << i) << " max difference " << (weights[i] - weights[0]).abs().max().item<double>();
      EXPECT_EQ(collectives[i], collectives[0]) << name;
    }
  }
}

// A step whose averaged gradients are not finite (one rank's batch holds a NaN) changes nothing on any rank, for
// every optimizer, with and without accumulation: the weights and the optimizer's state (Adam's step counts and
// moments included) stay bitwise as they were, so the run continues exactly as if that step had never come.
TEST(GradientAccumulationTest, ANonFiniteStepLeavesTheWeightsAndEveryOptimizersStateUntouched) {
  MpiCommunicator comm;
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdamW, OptimizerKind::kLamb, OptimizerKind::kLars}) {
    for (int64_t k : {1, 2}) {
      const std::string what = OptimizerOptions::OptimizerName(kind) + " K=" + std::to_string(k);
      OptimizerOptions options;
      options.optimizer = kind;
      std::vector<torch::Tensor> finals;
      for (bool with_nan_step : {false, true}) {
        SmallNet model;
        auto optimizer = MakeOptimizer(model, options);
        GradientBucketer bucketer(comm, model.parameters(), BucketerOptions(512));
        TrainingStep step(model, *optimizer, bucketer);
        step.UseAccumulation(k);
        for (int s : {0, 1}) {
          const auto [images, labels] = RankBatch(comm, s);
          step.Run(images, labels, 0.05);
        }
        if (with_nan_step) {
          auto [images, labels] = RankBatch(comm, 7);
          images = images.clone();
          if (comm.rank() == comm.world_size() - 1) images[0][0][0][0] = std::nan("");
          // State() hands out the live tensors, which a step updates in place: compare against copies.
          auto state_before = optimizer->State();
          for (auto& entry : state_before) entry.second = entry.second.clone();
          const torch::Tensor weights_before = FlatWeights(model);
          step.Run(images, labels, 0.05);
          EXPECT_TRUE(step.last_step_nonfinite()) << what << " on rank " << comm.rank();
          EXPECT_TRUE(torch::equal(FlatWeights(model), weights_before)) << what << ": the weights changed";
          const auto state_after = optimizer->State();
          ASSERT_EQ(state_after.size(), state_before.size()) << what;
          for (size_t i = 0; i < state_after.size(); ++i) {
            EXPECT_EQ(state_after[i].first, state_before[i].first) << what;
            EXPECT_TRUE(torch::equal(state_after[i].second, state_before[i].second))
                << what << ": " << state_after[i].first;
          }
        }
        const auto [images, labels] = RankBatch(comm, 2);
        step.Run(images, labels, 0.05);
        EXPECT_FALSE(step.last_step_nonfinite()) << what;
        finals.push_back(FlatWeights(model));
      }
      EXPECT_TRUE(torch::equal(finals[0], finals[1])) << what << ": the run after the skipped step differs";
    }
  }
}

}  // namespace
}  // namespace strobe
