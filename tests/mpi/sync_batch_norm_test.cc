#include "worker/models/sync_batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ops/gradient_bucketer.h"
#include "ops/mpi_communicator.h"
#include "tests/mpi/mpi_test_env.h"
#include "worker/models/model_zoo.h"

namespace strobe {
namespace {

constexpr int64_t kPerRank = 32;

struct Step {
  torch::Tensor logits;                  // of this rank's slice
  std::vector<torch::Tensor> gradients;  // of the parameters, averaged over ranks when the batch was split
  std::vector<torch::Tensor> running;    // BatchNorm's running statistics afterwards
};

// One training-mode forward and backward of resnet20 (the same initial weights everywhere) on the global batch:
// split over the ranks (`split`: each rank its slice) or whole on every rank.
Step TrainOnce(Communicator& comm, bool split, bool sync) {
  torch::manual_seed(5);
  auto model = *MakeModel("resnet20", 1, 10);
  if (sync) EXPECT_TRUE(SynchroniseBatchNorm(*model, comm, "resnet20").ok());
  model->train();
  torch::manual_seed(77);  // the same global batch on every rank
  const int64_t global = kPerRank * comm.world_size();
  torch::Tensor images = torch::randn({global, 1, 12, 12}) * 2 + 0.5;
  torch::Tensor labels = torch::randint(0, 10, {global}, torch::kLong);
  const int64_t begin = comm.rank() * kPerRank;
  if (split) {
    images = images.slice(0, begin, begin + kPerRank);
    labels = labels.slice(0, begin, begin + kPerRank);
  }
  Step step;
  torch::Tensor logits = model->forward(images);
  torch::cross_entropy_loss(logits, labels).backward();
  step.logits = split ? logits.detach() : logits.detach().slice(0, begin, begin + kPerRank);
  for (const auto& p : model->parameters()) step.gradients.push_back(p.grad().clone());
  if (split) AverageTensors(comm, step.gradients);  // what the gradient all-reduce does
  for (const auto& b : model->named_buffers()) {
    if (b.key().find("running_") != std::string::npos) step.running.push_back(b.value().clone());
  }
  return step;
}

void ExpectClose(const std::vector<torch::Tensor>& got, const std::vector<torch::Tensor>& expected,
                 const std::string& what) {
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(torch::allclose(got[i], expected[i], 1e-5, 1e-5))
        << what << " " << i << ": max difference " << (got[i] - expected[i]).abs().max().item<double>();
  }
}

TEST(SyncBatchNormTest, RanksOfASliceEachComputeWhatOneProcessOfTheWholeBatchDoes) {
  MpiCommunicator comm;
  const Step synced = TrainOnce(comm, /*split=*/true, /*sync=*/true);
  const Step whole = TrainOnce(comm, /*split=*/false, /*sync=*/false);
  ExpectClose({synced.logits}, {whole.logits}, "logits");
  ExpectClose(synced.gradients, whole.gradients, "gradient");
  ExpectClose(synced.running, whole.running, "running statistic");
  // The running statistics come from the global batch: the same on every rank without averaging.
  for (const torch::Tensor& statistic : synced.running) {
    const torch::Tensor all = comm.AllGather(statistic);
    for (int r = 1; r < comm.world_size(); ++r) EXPECT_TRUE(torch::equal(all[r], all[0]));
  }
  if (comm.world_size() > 1) {  // without synchronisation each rank normalises its slice alone: the test can fail
    const Step local = TrainOnce(comm, /*split=*/true, /*sync=*/false);
    EXPECT_GT((local.logits - whole.logits).abs().max().item<double>(), 1e-3);
  }
}

TEST(SyncBatchNormTest, AModelWithoutBatchNormIsRefusedByName) {
  MpiCommunicator comm;
  struct NoNorm : Classifier {
    NoNorm() { fc = register_module("fc", torch::nn::Linear(4, 2)); }
    torch::Tensor forward(torch::Tensor x) override { return fc(x.flatten(1)); }
    torch::nn::Linear fc{nullptr};
  } model;
  EXPECT_EQ(SynchroniseBatchNorm(model, comm, "tiny.pt").message(),
            "--sync_bn: --model=tiny.pt has no BatchNorm layers to synchronise");
}

}  // namespace
}  // namespace strobe
