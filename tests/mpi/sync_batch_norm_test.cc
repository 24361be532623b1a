#include "worker/models/sync_batch_norm.h"

#include <functional>
#include <memory>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "absl/strings/str_format.h"
#include "ops/gradient_bucketer.h"
#include "ops/mpi_communicator.h"
#include "tests/mpi/mpi_test_env.h"
#include "tests/support/scripted_test_model.h"
#include "worker/models/model_zoo.h"
#include "worker/models/torchscript_model.h"

namespace strobe {
namespace {

constexpr int64_t kPerRank = 32;

struct Step {
  torch::Tensor logits;                  // of this rank's slice
  std::vector<torch::Tensor> gradients;  // of the parameters, averaged over ranks when the batch was split
  std::vector<torch::Tensor> running;    // BatchNorm's running statistics afterwards
};

using ModelMaker = std::function<std::shared_ptr<Classifier>()>;

std::shared_ptr<Classifier> Resnet20() { return *MakeModel("resnet20", 1, 10); }

// A TorchScript model whose BatchNorm layer calls torch.batch_norm in its scripted code.
std::shared_ptr<Classifier> ScriptedConvNet() {
  return std::make_shared<TorchScriptClassifier>(testing::ScriptedConvNet(1, 10), "convnet.pt", 0);
}

// One training-mode forward and backward of a model (the same initial weights everywhere) on the global batch:
// split over the ranks (`split`: each rank its slice) or whole on every rank.
Step TrainOnce(Communicator& comm, const ModelMaker& make_model, bool split, bool sync) {
  torch::manual_seed(5);
  std::shared_ptr<Classifier> model = make_model();
  if (sync) {
    EXPECT_TRUE(SynchroniseBatchNorm(*model, comm, "the model").ok());
  }
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

void ExpectSlicesComputeTheWholeBatch(const ModelMaker& make_model) {
  MpiCommunicator comm;
  const Step synced = TrainOnce(comm, make_model, /*split=*/true, /*sync=*/true);
  const Step whole = TrainOnce(comm, make_model, /*split=*/false, /*sync=*/false);
  ExpectClose({synced.logits}, {whole.logits}, "logits");
  ExpectClose(synced.gradients, whole.gradients, "gradient");
  ASSERT_FALSE(synced.running.empty());
  ExpectClose(synced.running, whole.running, "running statistic");
  // The running statistics come from the global batch: the same on every rank without averaging.
  for (const torch::Tensor& statistic : synced.running) {
    const torch::Tensor all = comm.AllGather(statistic);
    for (int r = 1; r < comm.world_size(); ++r) EXPECT_TRUE(torch::equal(all[r], all[0]));
  }
  if (comm.world_size() > 1) {  // without synchronisation each rank normalises its slice alone: the test can fail
    const Step local = TrainOnce(comm, make_model, /*split=*/true, /*sync=*/false);
    EXPECT_GT((local.logits - whole.logits).abs().max().item<double>(), 1e-3);
  }
}

TEST(SyncBatchNormTest, RanksOfASliceEachComputeWhatOneProcessOfTheWholeBatchDoes) {
  ExpectSlicesComputeTheWholeBatch(Resnet20);
}

// --sync_bn on a TorchScript model: its scripted batch_norm calls are replaced in the forward Strobe runs.
TEST(SyncBatchNormTest, ATorchScriptModelsBatchNormIsSynchronisedToo) {
  ExpectSlicesComputeTheWholeBatch(ScriptedConvNet);
  MpiCommunicator comm;
  std::shared_ptr<Classifier> model = ScriptedConvNet();
  EXPECT_EQ(*SynchroniseBatchNorm(*model, comm, "convnet.pt"), 1);
  // Evaluation uses the running statistics, bitwise as the module's own forward does.
  model->eval();
  const torch::Tensor images = torch::randn({4, 1, 12, 12});
  const torch::Tensor own = static_cast<TorchScriptClassifier&>(*model).module().forward({images}).toTensor();
  EXPECT_TRUE(torch::equal(model->forward(images), own));
}

// What a TorchScript model's batch_norm calls may pass: BatchNorm1d's [N, C] and [N, C, L], BatchNorm2d's input in
// channels-last, BatchNorm3d's 5-D input, affine=False (no weight or bias), track_running_stats=False (no running
// statistics), its own momentum and eps.
TEST(SyncBatchNormTest, EveryInputRankAndOptionalTensorGivesTorchsBatchNorm) {
  MpiCommunicator comm;
  const std::vector<std::vector<int64_t>> shapes{{16, 3}, {16, 3, 5}, {8, 3, 4, 4}, {8, 3, 2, 3, 4}};
  for (const std::vector<int64_t>& shape : shapes) {
    for (const bool affine : {true, false}) {
      for (const bool running : {true, false}) {
        torch::manual_seed(11);  // the same global batch on every rank
        std::vector<int64_t> global_shape = shape;
        global_shape[0] *= comm.world_size();
        // A mean well away from zero against the spread.
        torch::Tensor global = torch::randn(global_shape) * 3 + 40;
        torch::Tensor mine = global.narrow(0, comm.rank() * shape[0], shape[0]);
        if (shape.size() == 4) {  // 4-D in channels-last, as --channels_last gives BatchNorm its input
          global = global.contiguous(torch::MemoryFormat::ChannelsLast);
          mine = mine.contiguous(torch::MemoryFormat::ChannelsLast);
        }
        const torch::Tensor weight = affine ? torch::rand({3}) + 0.5 : torch::Tensor();
        const torch::Tensor bias = affine ? torch::randn({3}) : torch::Tensor();
        auto statistics = [&] {
          return running ? std::vector<torch::Tensor>{torch::randn({3}), torch::rand({3}) + 1}
                         : std::vector<torch::Tensor>{torch::Tensor(), torch::Tensor()};
        };
        std::vector<torch::Tensor> synced = statistics();
        std::vector<torch::Tensor> expected = statistics();
        for (size_t i = 0; i < synced.size(); ++i) {
          if (synced[i].defined()) expected[i] = synced[i].clone();
        }
        // A loss whose gradient differs per element, so that every term of the backward counts.
        const torch::Tensor upstream = torch::randn(global_shape);
        const torch::Tensor mine_leaf = mine.detach().requires_grad_(true);
        const torch::Tensor global_leaf = global.detach().requires_grad_(true);
        const torch::Tensor output =
            SynchronisedBatchNorm(mine_leaf, weight, bias, synced[0], synced[1], 0.3, 1e-3, comm);
        (output * upstream.narrow(0, comm.rank() * shape[0], shape[0])).sum().backward();
        const torch::Tensor whole =
            torch::batch_norm(global_leaf, weight, bias, expected[0], expected[1], true, 0.3, 1e-3, false);
        (whole * upstream).sum().backward();
        const std::string what = absl::StrFormat("%d-D, affine %d, running statistics %d", shape.size(), affine,
                                                 running);
        ExpectClose({output}, {whole.narrow(0, comm.rank() * shape[0], shape[0])}, what + ": output");
        ExpectClose({mine_leaf.grad()}, {global_leaf.grad().narrow(0, comm.rank() * shape[0], shape[0])},
                    what + ": input gradient");
        if (running) ExpectClose(synced, expected, what + ": running statistic");
      }
    }
  }
}

// Under autocast BatchNorm sees 16-bit activations: the statistics are taken in float32 and the output keeps its
// autograd history back to the input, the weight and the bias.
TEST(SyncBatchNormTest, SixteenBitInputsKeepTheirGradients) {
  MpiCommunicator comm;
  torch::manual_seed(12);
  const torch::Tensor values = torch::randn({8, 3, 4, 4}) + comm.rank();
  auto gradients = [&](torch::ScalarType dtype) {
    const torch::Tensor input = values.to(dtype).detach().requires_grad_(true);
    const torch::Tensor weight = torch::full({3}, 1.5).requires_grad_(true);
    const torch::Tensor bias = torch::zeros({3}).requires_grad_(true);
    const torch::Tensor output =
        SynchronisedBatchNorm(input, weight, bias, torch::zeros({3}), torch::ones({3}), 0.1, 1e-5, comm);
    EXPECT_EQ(output.scalar_type(), dtype);
    (output.to(torch::kFloat).pow(3).sum()).backward();
    return std::vector<torch::Tensor>{input.grad().to(torch::kFloat), weight.grad(), bias.grad()};
  };
  const std::vector<torch::Tensor> exact = gradients(torch::kFloat);
  const std::vector<torch::Tensor> bf16 = gradients(torch::kBFloat16);
  for (size_t i = 0; i < exact.size(); ++i) {
    ASSERT_TRUE(bf16[i].defined()) << "gradient " << i << " lost";
    EXPECT_LT((bf16[i] - exact[i]).abs().max().item<double>(), 0.05 * exact[i].abs().max().item<double>() + 0.05)
        << "gradient " << i;
  }
}

// A call whose `training` is a constant false (a model traced in eval mode) never uses batch statistics: nothing to
// synchronise. A model traced in training mode uses batch statistics in evaluation too; there each rank normalises
// its own batch (its own module's forward), as torch.nn.SyncBatchNorm in eval mode does, with no collective.
TEST(SyncBatchNormTest, TracedTrainingFlagsAreRespected) {
  MpiCommunicator comm;
  auto scripted = [](const char* training) {
    return std::make_shared<TorchScriptClassifier>(
        testing::ScriptedModule(absl::StrFormat(R"JIT(
def forward(self, x):
    return torch.batch_norm(x, self.weight, None, None, None, %s, 0.1, 1e-5, False).flatten(1)
)JIT", training), {3}), "traced.pt", 0);
  };
  EXPECT_EQ(SynchroniseBatchNorm(*scripted("False"), comm, "traced.pt").status().message(),
            "--sync_bn: --model=traced.pt has no BatchNorm layers to synchronise");
  std::shared_ptr<TorchScriptClassifier> model = scripted("True");
  ASSERT_EQ(*SynchroniseBatchNorm(*model, comm, "traced.pt"), 1);
  model->eval();
  torch::manual_seed(20 + comm.rank());  // each rank its own batch
  const torch::Tensor images = torch::randn({4, 3, 5, 5});
  EXPECT_TRUE(torch::equal(model->forward(images), model->module().forward({images}).toTensor()));
}

TEST(SyncBatchNormTest, AModelWithoutBatchNormIsRefusedByName) {
  MpiCommunicator comm;
  struct NoNorm : Classifier {
    NoNorm() { fc = register_module("fc", torch::nn::Linear(4, 2)); }
    torch::Tensor forward(torch::Tensor x) override { return fc(x.flatten(1)); }
    torch::nn::Linear fc{nullptr};
  } model;
  EXPECT_EQ(SynchroniseBatchNorm(model, comm, "tiny.pt").status().message(),
            "--sync_bn: --model=tiny.pt has no BatchNorm layers to synchronise");
}

}  // namespace
}  // namespace strobe
