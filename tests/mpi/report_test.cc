// The training loop's progress reports: their global loss, and that they travel with a step's gradients instead of
// in collectives of their own. Collectives are counted through MPI's profiling interface, as in
// barrier_count_test.cc: this binary's MPI_Allgather and MPI_Iallgather are the ones below.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "ops/background_communicator.h"
#include "ops/mpi_communicator.h"
#include "ops/started_gather.h"
#include "tests/mpi/mpi_test_env.h"
#include "worker/data/in_memory_source.h"
#include "worker/file_system.h"
#include "worker/models/model_zoo.h"
#include "worker/trainer.h"

namespace {
std::atomic<int> all_gathers{0};
}  // namespace

extern "C" int MPI_Allgather(const void* send, int send_count, MPI_Datatype send_type, void* receive,
                             int receive_count, MPI_Datatype receive_type, MPI_Comm comm) {
  ++all_gathers;
  return PMPI_Allgather(send, send_count, send_type, receive, receive_count, receive_type, comm);
}

extern "C" int MPI_Iallgather(const void* send, int send_count, MPI_Datatype send_type, void* receive,
                              int receive_count, MPI_Datatype receive_type, MPI_Comm comm, MPI_Request* request) {
  ++all_gathers;
  return PMPI_Iallgather(send, send_count, send_type, receive, receive_count, receive_type, comm, request);
}

namespace strobe {
namespace {

TEST(StartedGatherTest, RowsArriveExactlyWithTheBucketsStartedAfterThem) {
  BackgroundCommunicator comm(std::make_unique<MpiCommunicator>());
  const int rank = comm.rank();
  const double inf = std::numeric_limits<double>::infinity();
  // Values a sum of rows must not change: signs, extremes, subnormals, a NaN and infinities.
  const at::Tensor row = at::tensor({-1.0 / 3 - rank, 1e308, 5e-324 * (rank + 1), rank % 2 == 0 ? NAN : inf, -inf},
                                    at::kDouble);
  StartedGather gather;
  gather.Start(comm, row);
  EXPECT_TRUE(gather.started());
  std::vector<at::Tensor> buckets;
  for (int b = 0; b < 2; ++b) {  // one above the size that travels in non-blocking collectives, one below
    buckets.push_back(at::full({b == 0 ? 65536 : 16}, static_cast<float>(rank)));
    comm.StartAllReduce(buckets.back(), ReduceOp::kAverage, at::kFloat);
  }
  const at::Tensor rows = gather.Collect(comm);
  EXPECT_FALSE(gather.started());
  ASSERT_EQ(rows.sizes(), (at::IntArrayRef{comm.world_size(), 5}));
  for (int r = 0; r < comm.world_size(); ++r) {
    const at::Tensor expected = at::tensor({-1.0 / 3 - r, 1e308, 5e-324 * (r + 1), r % 2 == 0 ? NAN : inf, -inf},
                                           at::kDouble);
    EXPECT_TRUE(at::equal(rows[r].isnan(), expected.isnan())) << "rank " << r << ": " << rows[r];
    const at::Tensor numbers = expected.isnan().logical_not();
    EXPECT_TRUE(at::equal(rows[r].masked_select(numbers), expected.masked_select(numbers))) << "rank " << r;
  }
  for (const at::Tensor& bucket : buckets) {
    EXPECT_TRUE(at::equal(bucket, at::full_like(bucket, (comm.world_size() - 1) / 2.0F)));
  }
}

class ConstantSchedule : public LrSchedule {
 public:
  explicit ConstantSchedule(double lr) : lr_(lr) {}
  double LrAt(int64_t) const override { return lr_; }

 private:
  double lr_;
};

// A short run of the real training loop on random 8x8 images, ended by its report hook after `reports` reports.
class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImageDataset images;
    torch::manual_seed(7);
    // Enough for the longest run (8 steps of 32 per rank) to stay inside the first epoch at up to 8 ranks: an
    // epoch's end has collectives of its own.
    images.images = at::randint(0, 256, {2048, 1, 8, 8}, at::kLong).to(at::kByte);
    images.labels = at::randint(0, 10, {2048}, at::kLong);
    images.num_classes = 10;
    const Normalization norm = ComputeNormalization(images);
    data.train = std::make_shared<InMemorySource>(images, norm);
    data.test = data.train;
    config.run.run_dir = testing::SharedTempDir(comm);
    config.run.global_batch = 32 * comm.world_size();
    config.run.epochs = 4;
    config.checkpoint.at_epoch_end = false;
  }
  void TearDown() override {
    comm.Barrier();
    if (comm.rank() == 0) RemoveTree(config.run.run_dir).IgnoreError();
  }

  // The global losses reported (the same model, data and order every time).
  std::vector<double> Train(int64_t reports) {
    torch::manual_seed(1);
    std::shared_ptr<Classifier> model = *MakeModel("resnet20", 1, 10);
    const absl::StatusOr<TrainShardPlan> plan =
        TrainShardPlan::Create(data.train->size(), config.run.global_batch, comm.world_size());
    EXPECT_TRUE(plan.ok()) << plan.status();
    StepCoordinator coordinator(comm, LrController(std::make_unique<ConstantSchedule>(lr), std::nullopt),
                                CheckpointCadence{}, std::nullopt);
    std::vector<double> losses;
    TrainHooks hooks;
    hooks.after_report = [&](const LossReport& report) {
      losses.push_back(report.global_loss);
      return static_cast<int64_t>(losses.size()) < reports;
    };
    absl::StatusOr<TrainSummary> summary =
        RunTraining(config, data, *plan, *model, coordinator, comm, /*reporter=*/nullptr, hooks);
    EXPECT_TRUE(summary.ok()) << summary.status();
    EXPECT_TRUE(summary.ok() && summary->ended_by_hook);
    return losses;
  }

  BackgroundCommunicator comm{std::make_unique<MpiCommunicator>()};
  TrainData data;
  TrainConfig config;
  double lr = 0.05;
};

TEST_F(ReportTest, AReportAfterEveryStepGathersNothingOfItsOwn) {
  config.run.log_every = 1;
  const int before_short = all_gathers;
  const std::vector<double> short_run = Train(2);
  const int short_gathers = all_gathers - before_short;
  const int before_long = all_gathers;
  const std::vector<double> long_run = Train(8);
  const int long_gathers = all_gathers - before_long;
  // Six more steps and reports, no more all-gathers: each report came with its step's gradients. (The end of a run
  // gathers: the count sees this binary's MPI calls.)
  if (comm.world_size() > 1) {
    EXPECT_GT(short_gathers, 0);
  }
  EXPECT_EQ(long_gathers, short_gathers);
  ASSERT_EQ(long_run.size(), 8u);
  for (size_t i = 0; i < short_run.size(); ++i) EXPECT_EQ(short_run[i], long_run[i]) << "report " << i;
  // Every rank heard the same global losses, bit for bit.
  const at::Tensor all = comm.AllGather(at::tensor(long_run, at::kDouble));
  for (int rank = 1; rank < comm.world_size(); ++rank) EXPECT_TRUE(at::equal(all[rank], all[0])) << "rank " << rank;
}

TEST_F(ReportTest, AWindowsLossIsTheMeanOfItsStepsAndLeavesOutANonFiniteStep) {
  config.run.log_every = 1;
  const std::vector<double> every_step = Train(4);
  config.run.log_every = 2;
  const std::vector<double> every_other = Train(2);
  ASSERT_EQ(every_step.size(), 4u);
  ASSERT_EQ(every_other.size(), 2u);
  for (size_t i = 0; i < every_other.size(); ++i) {
    EXPECT_NEAR(every_other[i], (every_step[2 * i] + every_step[2 * i + 1]) / 2, 1e-12) << "report " << i;
  }
  // The second step's gradients are not finite (a NaN image on the last rank): its update is skipped and its loss
  // is left out of the window, which is the first step's alone, bit for bit.
  config.run.inject_nan_step = 1;
  const std::vector<double> skipped = Train(1);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0], every_step[0]);
}

TEST_F(ReportTest, AnAccumulatedStepsLossIsTheMeanOfItsMicroBatches) {
  // At LR 0 the weights never change, so a micro-batch's loss depends on its 16 images alone (BatchNorm normalises
  // with each micro-batch's own statistics). Rank r's two micro-batches of a 32-image step are the global batch's
  // 16-image blocks 2r and 2r+1; without accumulation at 16 per rank, the first two steps hold the same blocks,
  // 0 to W-1 and W to 2W-1. So the accumulated step's report is the mean of those two reports.
  lr = 0;
  config.run.log_every = 1;
  config.run.global_batch = 16 * comm.world_size();
  const std::vector<double> blocks = Train(2);
  config.run.global_batch = 32 * comm.world_size();
  config.run.accum_steps = 2;
  const std::vector<double> accumulated = Train(1);
  ASSERT_EQ(blocks.size(), 2u);
  ASSERT_EQ(accumulated.size(), 1u);
  const double mean = (blocks[0] + blocks[1]) / 2;
  // Float32 sums on one side, a double mean on the other: equal to a few float32 roundings.
  EXPECT_NEAR(accumulated[0], mean, 1e-6 * mean);
  // Far enough apart that the check tells the mean from the loss of either micro-batch alone.
  EXPECT_GT(std::abs(blocks[0] - blocks[1]), 1e-4 * mean);
}

}  // namespace
}  // namespace strobe
