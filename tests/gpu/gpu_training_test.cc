// The training path on a GPU (CUDA builds only; skips without a GPU): gradient buckets all-reduced over NCCL on
// their own stream while backward runs, compression, autocast, channels-last, fp16 loss scaling, the control
// word and a report's gathered fields over NCCL, and the evaluator on the device. Runs at world size 1 on a
// one-GPU host.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "coordinator/step_control.h"
#include "ops/communicator.h"
#include "ops/gradient_bucketer.h"
#include "ops/started_gather.h"
#include "tests/gpu/nccl_test.h"
#include "worker/data/in_memory_source.h"
#include "worker/device_placement.h"
#include "worker/evaluator.h"
#include "worker/models/model_zoo.h"
#include "worker/optimizer.h"
#include "worker/training_step.h"

namespace strobe {
namespace {

class GpuTrainingTest : public NcclTest {
 protected:
  void SetUp() override {
    NcclTest::SetUp();
    // Bitwise comparisons between runs need convolutions that add in a fixed order.
    at::globalContext().setDeterministicCuDNN(true);
    at::globalContext().setBenchmarkCuDNN(false);
  }

  // resnet20 on the GPU, trained `steps` steps on fixed random batches; returns its flat parameters.
  at::Tensor Train(const Placement& placement, BucketerOptions buckets, int steps, double* last_loss = nullptr,
                   size_t* started_during_backward = nullptr) {
    torch::manual_seed(5);
    auto model = *MakeModel("resnet20", 3, 10);
    PlaceModel(*model, placement);
    auto sgd = MakeOptimizer(*model, OptimizerOptions{0.9, true, 5e-4});
    GradientBucketer bucketer(*comm_, model->parameters(), buckets);
    TrainingStep step(*model, *sgd, bucketer, placement.precision);
    torch::manual_seed(6);
    const at::Tensor images = placement.Images(at::randn({32, 3, 16, 16}));
    const at::Tensor labels = placement.ToDevice(at::randint(0, 10, {32}, at::kLong));
    for (int s = 0; s < steps; ++s) {
      const double loss = step.Run(images, labels, 0.05);
      if (last_loss != nullptr) *last_loss = loss;
    }
    if (started_during_backward != nullptr) *started_during_backward = bucketer.started_during_backward();
    std::vector<at::Tensor> flat;
    for (const at::Tensor& p : model->parameters()) flat.push_back(p.detach().reshape({-1}).cpu());
    return at::cat(flat);
  }

};

TEST_F(GpuTrainingTest, BucketsStartedDuringBackwardGiveTheSameWeights) {
  // bf16 on the wire makes the result depend on reading each bucket after backward filled it: a bucket reduced
  // too early would hold partial gradients.
  BucketerOptions after(8 * 1024);
  after.wire_dtype = at::kBFloat16;
  BucketerOptions during = after;
  during.overlap = true;
  size_t started = 0;
  const Placement placement{device_};
  const at::Tensor reference = Train(placement, after, 4);
  const at::Tensor overlapped = Train(placement, during, 4, nullptr, &started);
  EXPECT_TRUE(at::equal(reference, overlapped)) << (reference - overlapped).abs().max().item<float>();
  EXPECT_GT(started, 5u);  // all buckets of this model are ready before backward ends
}

TEST_F(GpuTrainingTest, CompressedGradientsStayCloseToFloat32) {
  const Placement placement{device_};
  const at::Tensor initial = Train(placement, BucketerOptions(8 * 1024), 0);
  const at::Tensor exact = Train(placement, BucketerOptions(8 * 1024), 3);
  BucketerOptions compressed(8 * 1024);
  compressed.wire_dtype = at::kHalf;
  const at::Tensor half = Train(placement, compressed, 3);
  EXPECT_FALSE(at::equal(exact, half));  // the wire type took effect
  const double cosine = at::cosine_similarity(exact - initial, half - initial, 0).item<double>();
  EXPECT_GT(cosine, 0.99);  // fp16 keeps 11 significant bits of each averaged gradient (measured: 0.998)
}

TEST_F(GpuTrainingTest, Bf16AutocastAndChannelsLastTrain) {
  BucketerOptions buckets;
  buckets.overlap = true;
  double first_loss = 0, last_loss = 0;
  const Placement placement{device_, /*channels_last=*/true, Precision::kBFloat16};
  Train(placement, buckets, 1, &first_loss);
  const at::Tensor weights = Train(placement, buckets, 30, &last_loss);
  EXPECT_TRUE(weights.isfinite().all().item<bool>());
  EXPECT_LT(last_loss, 0.5 * first_loss);  // it fits the fixed batch
  // Inside the scope, convolutions compute in bf16; the weights stay float32 and channels-last.
  torch::manual_seed(5);
  auto model = *MakeModel("resnet20", 3, 10);
  PlaceModel(*model, placement);
  at::Tensor logits;
  {
    AutocastScope autocast(c10::DeviceType::CUDA, Precision::kBFloat16);
    logits = model->forward(placement.Images(at::randn({2, 3, 16, 16})));
  }
  EXPECT_EQ(logits.scalar_type(), at::kBFloat16);
  const at::Tensor stem = model->parameters().front();
  EXPECT_EQ(stem.scalar_type(), at::kFloat);
  EXPECT_TRUE(stem.is_contiguous(at::MemoryFormat::ChannelsLast));
}

TEST_F(GpuTrainingTest, Fp16WithLossScalingTrains) {
  BucketerOptions buckets;
  buckets.overlap = true;
  double first_loss = 0, last_loss = 0;
  const Placement placement{device_, true, Precision::kFloat16};
  Train(placement, buckets, 1, &first_loss);
  const at::Tensor weights = Train(placement, buckets, 30, &last_loss);
  EXPECT_TRUE(weights.isfinite().all().item<bool>());
  EXPECT_LT(last_loss, 0.5 * first_loss);
}

TEST_F(GpuTrainingTest, ControlWordTravelsOverNccl) {
  class Fixed : public LrSchedule {
   public:
    double LrAt(int64_t step) const override { return 0.25 + step; }
  };
  StepCoordinator coordinator(*comm_, LrController(std::make_unique<Fixed>(), std::nullopt), CheckpointCadence{},
                              std::nullopt, device_);
  const StepControl control = coordinator.Decide(3, kStepFlagCheckpoint);
  EXPECT_EQ(control.lr, 3.25);
  EXPECT_NE(control.flags & kStepFlagCheckpoint, 0u);
}

// A report's fields leave between forward and backward (a float32 loss on the device copied into a float64 row) and
// come back with the gradient buckets, over NCCL.
TEST_F(GpuTrainingTest, AStartedGatherTravelsOverNcclWithTheBuckets) {
  // As TrainLoop::StartReport builds it: in pinned host memory, copied without waiting, then the loss on the device.
  const at::Tensor host = at::zeros({3}, at::TensorOptions(at::kDouble).pinned_memory(true));
  host[0] = 1.0 / 3;
  host[2] = 1e300;
  const at::Tensor row = host.to(device_, /*non_blocking=*/true);
  row.narrow(0, 1, 1).copy_(at::full({1}, 0.1F, at::TensorOptions(device_)));
  StartedGather gather;
  gather.Start(*comm_, row);
  at::Tensor bucket = at::ones({4096}, at::TensorOptions(device_));
  comm_->StartAllReduce(bucket, ReduceOp::kSum, at::kFloat);
  const at::Tensor rows = gather.Collect(*comm_);
  EXPECT_TRUE(rows.device().is_cpu());
  ASSERT_EQ(rows.size(0), comm_->world_size());
  EXPECT_EQ(rows[comm_->rank()][0].item<double>(), 1.0 / 3);
  EXPECT_EQ(rows[comm_->rank()][1].item<double>(), static_cast<double>(0.1F));
  EXPECT_EQ(rows[comm_->rank()][2].item<double>(), 1e300);
  EXPECT_TRUE(at::equal(bucket.cpu(), at::full({4096}, static_cast<float>(comm_->world_size()))));
}

TEST_F(GpuTrainingTest, EvaluatorRunsOnTheDevice) {
  ImageDataset data;
  torch::manual_seed(2);
  data.images = at::randint(0, 256, {300, 1, 8, 8}, at::kLong).to(at::kByte);
  data.labels = at::randint(0, 10, {300}, at::kLong);
  data.num_classes = 10;
  const Normalization norm = ComputeNormalization(data);
  InMemorySource source(data, norm);
  torch::manual_seed(4);
  auto model = *MakeModel("resnet20", 1, 10);
  const EvalResult on_cpu = EvaluateDistributed(*model, source, *comm_, 64);
  PlaceModel(*model, Placement{device_});
  const EvalResult on_gpu = EvaluateDistributed(*model, source, *comm_, 64, Placement{device_});
  EXPECT_EQ(on_gpu.samples, 300);
  EXPECT_EQ(on_gpu.correct, on_cpu.correct);
  EXPECT_NEAR(on_gpu.loss_sum, on_cpu.loss_sum, 1e-3 * on_cpu.loss_sum);
}

}  // namespace
}  // namespace strobe
