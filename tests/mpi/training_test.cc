#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "augment/soft_targets.h"
#include "coordinator/lr_schedule.h"
#include "coordinator/step_control.h"
#include "ops/background_communicator.h"
#include "ops/gradient_bucketer.h"
#include "ops/mpi_communicator.h"
#include "tests/mpi/mpi_test_env.h"
#include "tests/support/scripted_test_model.h"
#include "worker/data/in_memory_source.h"
#include "worker/device_placement.h"
#include "worker/evaluator.h"
#include "worker/trainer.h"
#include "worker/models/model_zoo.h"
#include "worker/models/sync_batch_norm.h"
#include "worker/models/torchscript_model.h"
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
  auto sgd = MakeOptimizer(model, OptimizerOptions{0.9, true, 1e-3});
  GradientBucketer bucketer(comm, model.parameters(), BucketerOptions{cap_bytes});
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
  auto sgd = MakeOptimizer(*model, OptimizerOptions{});
  GradientBucketer bucketer(comm, model->parameters(), BucketerOptions{64 * 1024});
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

TEST(TrainingTest, AScriptedModelsParametersAndBuffersAreBitwiseIdenticalOnAllRanksAfterSteps) {
  MpiCommunicator comm;
  torch::manual_seed(31 + comm.rank());  // different initial weights on every rank: the broadcast must fix that
  TorchScriptClassifier model(testing::ScriptedConvNet(1, 5), "scripted.pt", 0);
  BroadcastInitialWeights(model, comm);
  auto sgd = MakeOptimizer(model, OptimizerOptions{});
  GradientBucketer bucketer(comm, model.parameters(), BucketerOptions{256});
  ASSERT_GT(bucketer.plan().size(), 2u);
  TrainingStep step(model, *sgd, bucketer);
  for (int s = 0; s < 3; ++s) {
    torch::manual_seed(100 * s + comm.rank());  // every rank sees different data
    step.Run(torch::randn({4, 1, 6, 6}), torch::randint(0, 5, {4}, torch::kLong), 0.1);
  }
  const torch::Tensor all = comm.AllGather(FlatParameters(model));
  for (int r = 1; r < comm.world_size(); ++r) EXPECT_TRUE(torch::equal(all[0], all[r])) << "rank " << r;
  // BatchNorm's running statistics are each rank's own until synchronised, then the same everywhere.
  SyncModelBuffers(model, comm);
  const torch::Tensor means = comm.AllGather(model.named_buffers()["features.bn.running_mean"].clone());
  for (int r = 1; r < comm.world_size(); ++r) EXPECT_TRUE(torch::equal(means[0], means[r])) << "rank " << r;
  // The module itself holds the trained weights (what an export saves).
  const torch::jit::Module head = model.module().attr("head").toModule();
  EXPECT_TRUE(head.attr("weight").toTensor().is_same(model.named_parameters()["head.weight"]));
  torch::manual_seed(31);
  EXPECT_FALSE(torch::equal(head.attr("weight").toTensor(),
                            testing::ScriptedConvNet(1, 5).attr("head").toModule().attr("weight").toTensor()));
}

// Trains resnet20 for 3 steps with different data per rank and returns its flat parameters.
torch::Tensor TrainResNet(Communicator& comm, BucketerOptions buckets, const Placement& placement,
                          size_t* started_during_backward = nullptr) {
  torch::manual_seed(21);
  auto model = *MakeModel("resnet20", 1, 5);
  PlaceModel(*model, placement);
  auto sgd = MakeOptimizer(*model, OptimizerOptions{0.9, true, 1e-4});
  GradientBucketer bucketer(comm, model->parameters(), buckets);
  TrainingStep step(*model, *sgd, bucketer, placement.precision);
  for (int s = 0; s < 3; ++s) {
    torch::manual_seed(100 * s + comm.rank());
    step.Run(placement.Images(torch::randn({4, 1, 12, 12})), torch::randint(0, 5, {4}, torch::kLong), 0.1);
  }
  if (started_during_backward != nullptr) *started_during_backward = bucketer.started_during_backward();
  for (const at::Tensor& p : model->parameters()) {
    EXPECT_EQ(p.grad().strides(), p.strides()) << "gradient views take their parameter's layout";
  }
  return FlatParameters(*model);
}

TEST(TrainingTest, BucketsStartedDuringBackwardGiveTheSameWeights) {
  MpiCommunicator comm;
  BucketerOptions during(16 * 1024);
  during.overlap = true;
  size_t started = 0;
  const torch::Tensor after = TrainResNet(comm, BucketerOptions(16 * 1024), Placement{});
  const torch::Tensor overlapped = TrainResNet(comm, during, Placement{}, &started);
  EXPECT_TRUE(torch::equal(after, overlapped));
  // What the trainer's CPU communicator does: the started buckets travel while backward computes.
  BackgroundCommunicator background(std::make_unique<MpiCommunicator>());
  EXPECT_TRUE(torch::equal(after, TrainResNet(background, during, Placement{})));
  GradientBucketer probe(comm, (*MakeModel("resnet20", 1, 5))->parameters(), BucketerOptions(16 * 1024));
  EXPECT_EQ(started, probe.plan().size());  // every parameter takes part, so every bucket starts in backward
  const torch::Tensor all = comm.AllGather(overlapped);
  for (int r = 1; r < comm.world_size(); ++r) EXPECT_TRUE(torch::equal(all[0], all[r])) << "rank " << r;
}

// Training cuts resnet20's gradients into two buckets where the 25 MiB cap made one (kSmallModelBuckets), none
// under kMinCutBucketBytes: the weights stay bitwise those of one bucket at every world size CTest runs (1 to 4).
// With the earlier cut, a last bucket of 110 KiB, Open MPI 4.1 added its elements in another order at 3 ranks.
TEST(TrainingTest, TwoBucketsOfASmallModelGiveTheWeightsOfOne) {
  MpiCommunicator comm;
  BucketerOptions two;
  two.small_model_buckets = kSmallModelBuckets;
  GradientBucketer probe(comm, (*MakeModel("resnet20", 1, 5))->parameters(), two);
  ASSERT_EQ(probe.plan().size(), 2u) << "resnet20's gradients hold two cuts of 256 KiB";
  EXPECT_TRUE(torch::equal(TrainResNet(comm, BucketerOptions(), Placement{}), TrainResNet(comm, two, Placement{})));
}

TEST(TrainingTest, BucketsOfUnusedParametersAreAveragedAfterBackward) {
  MpiCommunicator comm;
  std::vector<torch::Tensor> params;
  for (int64_t n : {100, 7, 300}) params.push_back(torch::zeros({n}).requires_grad_(true));
  BucketerOptions options(256);  // one parameter per bucket, plan order 2, 1, 0
  options.overlap = true;
  GradientBucketer bucketer(comm, params, options);
  ASSERT_EQ(bucketer.plan().size(), 3u);
  bucketer.ZeroGrad();
  // params[1] takes no part: bucket 1 cannot start, nor bucket 2 behind it in plan order.
  ((params[0] + params[2].sum()) * static_cast<float>(comm.rank() + 1)).sum().backward();
  EXPECT_EQ(bucketer.started_during_backward(), 1u);
  bucketer.AverageGradients();
  const float mean = (comm.world_size() + 1) / 2.0f;
  EXPECT_TRUE(torch::equal(params[0].grad(), torch::full({100}, mean)));
  EXPECT_TRUE(torch::equal(params[1].grad(), torch::zeros({7})));
  EXPECT_TRUE(torch::equal(params[2].grad(), torch::full({300}, 100 * mean)));
}

TEST(TrainingTest, BackwardAfterTheBucketerIsGoneDoesNotReachIt) {
  MpiCommunicator comm;
  torch::Tensor w = torch::zeros({8}).requires_grad_(true);
  {
    BucketerOptions options;
    options.overlap = true;
    GradientBucketer bucketer(comm, {w}, options);
    bucketer.ZeroGrad();
  }
  (w * 2).sum().backward();  // the hook stays on w's accumulator but must find no bucketer
  EXPECT_TRUE(torch::equal(w.grad(), torch::full({8}, 2.0f)));
}

TEST(TrainingTest, ChannelsLastAndBf16AutocastOnTheCpu) {
  MpiCommunicator comm;
  BucketerOptions buckets(16 * 1024);
  buckets.overlap = true;
  const torch::Tensor standard = TrainResNet(comm, buckets, Placement{});
  const torch::Tensor channels_last = TrainResNet(comm, buckets, Placement{c10::Device(c10::kCPU), true});
  // Other convolution kernels add in another order, and three steps of small-batch BatchNorm training amplify the
  // last bits (up to 2e-3 at 4 ranks): the updates must agree in direction, not to the digit.
  torch::manual_seed(21);
  const torch::Tensor initial = FlatParameters(**MakeModel("resnet20", 1, 5));
  const double cosine =
      torch::cosine_similarity(standard - initial, channels_last - initial, /*dim=*/0).item<double>();
  EXPECT_GT(cosine, 0.999);
  const torch::Tensor bf16 =
      TrainResNet(comm, buckets, Placement{c10::Device(c10::kCPU), false, Precision::kBFloat16});
  EXPECT_FALSE(torch::equal(standard, bf16));  // autocast took effect
  const torch::Tensor all = comm.AllGather(bf16);
  for (int r = 1; r < comm.world_size(); ++r) EXPECT_TRUE(torch::equal(all[0], all[r])) << "rank " << r;
}

TEST(TrainingTest, Bf16AutocastFitsAFixedBatchOnTheCpu) {
  // bf16 keeps 8 significant bits, so single gradients of a freshly initialised net differ much from float32's
  // (PyTorch's CPU autocast alike); what matters is that training under it converges.
  MpiCommunicator comm;
  torch::manual_seed(21);
  auto model = *MakeModel("resnet20", 1, 5);
  auto sgd = MakeOptimizer(*model, OptimizerOptions{0.9, true, 1e-4});
  BucketerOptions buckets;
  buckets.overlap = true;
  GradientBucketer bucketer(comm, model->parameters(), buckets);
  TrainingStep step(*model, *sgd, bucketer, Precision::kBFloat16);
  torch::manual_seed(comm.rank());
  const torch::Tensor images = torch::randn({8, 1, 12, 12});
  const torch::Tensor labels = torch::randint(0, 5, {8}, torch::kLong);
  const double first = step.Run(images, labels, 0.05);
  double last = first;
  for (int s = 0; s < 25; ++s) last = step.Run(images, labels, 0.05);
  EXPECT_LT(last, 0.3 * first) << first;
}

torch::Tensor FlatBuffers(Classifier& model) {
  std::vector<torch::Tensor> flat;
  for (const auto& b : model.buffers()) flat.push_back(b.detach().to(torch::kDouble).reshape({-1}));
  return torch::cat(flat);
}

// A step whose batch holds a NaN on the last rank is skipped, and leaves no trace: BatchNorm's running statistics
// and counters, which its forward pass updated (on that rank alone, or with --sync_bn on every rank), are put back,
// so the run continues bitwise as if the step had never come. Without that a NaN stays in the running statistics
// for good, and every evaluation and checkpoint after it is spoilt.
TEST(TrainingTest, ASkippedStepLeavesBatchNormsRunningStatisticsAsTheyWere) {
  MpiCommunicator comm;
  for (bool sync_bn : {false, true}) {
    std::vector<torch::Tensor> finals;
    for (bool with_nan_step : {false, true}) {
      torch::manual_seed(21);
      auto model = *MakeModel("resnet20", 1, 5);
      if (sync_bn) {
        ASSERT_TRUE(SynchroniseBatchNorm(*model, comm, "resnet20").ok());
      }
      auto sgd = MakeOptimizer(*model, OptimizerOptions{0.9, true, 1e-4});
      GradientBucketer bucketer(comm, model->parameters(), BucketerOptions(16 * 1024));
      TrainingStep step(*model, *sgd, bucketer);
      auto batch = [&](int s) {
        torch::manual_seed(100 * s + comm.rank());
        return std::make_pair(torch::randn({4, 1, 12, 12}), torch::randint(0, 5, {4}, torch::kLong));
      };
      step.Run(batch(0).first, batch(0).second, 0.05);
      if (with_nan_step) {
        auto [images, labels] = batch(7);
        if (comm.rank() == comm.world_size() - 1) images[0][0][0][0] = std::nan("");
        const torch::Tensor buffers_before = FlatBuffers(*model);
        const torch::Tensor weights_before = FlatParameters(*model);
        step.Run(images, labels, 0.05);
        EXPECT_TRUE(step.last_step_nonfinite()) << "sync_bn " << sync_bn;
        EXPECT_TRUE(torch::equal(FlatBuffers(*model), buffers_before)) << "sync_bn " << sync_bn << " rank "
                                                                        << comm.rank();
        EXPECT_TRUE(torch::equal(FlatParameters(*model), weights_before)) << "sync_bn " << sync_bn;
      }
      step.Run(batch(1).first, batch(1).second, 0.05);
      EXPECT_TRUE(FlatBuffers(*model).isfinite().all().item<bool>()) << "sync_bn " << sync_bn;
      finals.push_back(torch::cat({FlatParameters(*model).to(torch::kDouble), FlatBuffers(*model)}));
    }
    EXPECT_TRUE(torch::equal(finals[0], finals[1])) << "sync_bn " << sync_bn << ": the run after the skip differs";
  }
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
    auto sgd = MakeOptimizer(*model, OptimizerOptions{});
    GradientBucketer bucketer(world, model->parameters(), BucketerOptions{});
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
  EXPECT_EQ(distributed.correct_top5, single.correct_top5);
  EXPECT_NEAR(distributed.loss_sum, single.loss_sum, 1e-9 * single.loss_sum);  // the same batches, summed anew
  EXPECT_EQ(distributed.class_samples, single.class_samples);
  EXPECT_EQ(distributed.class_correct, single.class_correct);
  // Per class by hand: images and top-1 hits of each label.
  {
    torch::NoGradGuard no_grad;
    model->eval();
    const torch::Tensor predicted = model->forward(GatherImages(data, torch::arange(1001), norm)).argmax(1);
    model->train();
    ASSERT_EQ(distributed.class_samples.size(), 10u);
    int64_t hits_over_classes = 0;
    for (int64_t c = 0; c < 10; ++c) {
      const torch::Tensor of_class = data.labels.eq(c);
      EXPECT_EQ(distributed.class_samples[c], of_class.sum().item<int64_t>()) << c;
      hits_over_classes += distributed.class_correct[c];
    }
    EXPECT_EQ(hits_over_classes, distributed.correct);
    EXPECT_NEAR(static_cast<double>(distributed.correct), predicted.eq(data.labels).sum().item<double>(), 3)
        << "top-1 of one 1001-image batch, within float rounding of the 64-image batches";
  }
  // Top-5 by hand over the whole set in one batch: the label among the 5 largest logits.
  {
    torch::NoGradGuard no_grad;
    model->eval();
    const torch::Tensor logits = model->forward(GatherImages(data, torch::arange(1001), norm));
    model->train();
    const torch::Tensor label_logit = logits.gather(1, data.labels.unsqueeze(1));
    const int64_t top5 = (logits > label_logit).sum(1).lt(5).sum().item<int64_t>();  // fewer than 5 beat it
    EXPECT_EQ(distributed.correct_top5, top5);
    EXPECT_GT(distributed.correct_top5, distributed.correct);
  }
  EXPECT_TRUE(model->is_training());
}

TEST(TrainingTest, RegressionEvaluationCountsErrorsAndRoundedHitsAsOneProcessDoes) {
  MpiCommunicator world;
  MpiCommunicator alone(MPI_COMM_SELF);
  torch::manual_seed(19);
  auto model = *MakeModel("resnet20", 1, 1);  // one output: the predicted label value
  {
    torch::NoGradGuard no_grad;  // outputs around the labels' range, so rounding hits some
    model->named_parameters()["fc.bias"].fill_(4.5);
  }
  ImageDataset data;
  data.images = torch::randint(0, 256, {1001, 1, 8, 8}, torch::kLong).to(torch::kByte);
  data.labels = torch::randint(0, 10, {1001}, torch::kLong);
  data.num_classes = 10;
  const Normalization norm = ComputeNormalization(data);
  InMemorySource source(data, norm);
  TaskOptions task;
  task.task = Task::kRegression;
  const EvalResult distributed = EvaluateDistributed(*model, source, world, 64, Placement{}, task);
  const EvalResult single = EvaluateDistributed(*model, source, alone, 64, Placement{}, task);
  EXPECT_EQ(distributed.samples, 1001);
  EXPECT_EQ(distributed.correct, single.correct);
  EXPECT_EQ(distributed.class_correct, single.class_correct);
  EXPECT_NEAR(distributed.abs_error_sum, single.abs_error_sum, 1e-9 * single.abs_error_sum);
  EXPECT_EQ(distributed.correct_top5, 0);
  torch::NoGradGuard no_grad;
  model->eval();
  const torch::Tensor predicted = model->forward(GatherImages(data, torch::arange(1001), norm)).squeeze(1);
  model->train();
  const torch::Tensor errors = (predicted - data.labels.to(torch::kFloat)).to(torch::kDouble);
  EXPECT_NEAR(distributed.mae(), errors.abs().mean().item<double>(), 1e-5);
  EXPECT_NEAR(distributed.rmse(), errors.square().mean().sqrt().item<double>(), 1e-5);
  EXPECT_NEAR(distributed.mean_loss(), errors.square().mean().item<double>(), 1e-4);  // MSE
  const int64_t rounded_hits = predicted.round().clamp(0, 9).to(torch::kLong).eq(data.labels).sum().item<int64_t>();
  EXPECT_NEAR(static_cast<double>(distributed.correct), static_cast<double>(rounded_hits), 3);
  EXPECT_GT(distributed.correct, 0);
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
