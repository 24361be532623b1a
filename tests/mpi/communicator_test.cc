#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <functional>
#include <thread>

#include "ops/background_communicator.h"
#include "ops/gradient_bucketer.h"
#include "ops/mpi_communicator.h"
#include "ops/mpi_wait.h"
#include "ops/status_agreement.h"
#include "tests/mpi/mpi_test_env.h"

namespace strobe {
namespace {

class CommunicatorTest : public ::testing::Test {
 protected:
  MpiCommunicator comm_;
  const int rank_ = comm_.rank();
  const int world_ = comm_.world_size();
};

TEST_F(CommunicatorTest, MatchesTheContext) {
  EXPECT_EQ(rank_, testing::Context().rank);
  EXPECT_EQ(world_, testing::Context().world_size);
  EXPECT_GE(testing::Context().local_rank, 0);
  EXPECT_LT(testing::Context().local_rank, testing::Context().local_size);
}

TEST_F(CommunicatorTest, AllReduceClosedForms) {
  // Rank r contributes r + 1 (+ the element index), so the sum is W(W+1)/2 (+ W * index).
  for (at::ScalarType dtype : {at::kFloat, at::kDouble, at::kLong, at::kInt}) {
    at::Tensor t = (at::arange(10, at::kDouble) + (rank_ + 1)).to(dtype);
    comm_.AllReduce(t, ReduceOp::kSum);
    at::Tensor expected = (at::arange(10, at::kDouble) * world_ + world_ * (world_ + 1) / 2).to(dtype);
    EXPECT_TRUE(at::equal(t, expected)) << c10::toString(dtype);
  }
  at::Tensor avg = at::full({5}, static_cast<double>(rank_ + 1), at::kDouble);
  comm_.AllReduce(avg, ReduceOp::kAverage);
  EXPECT_TRUE(at::allclose(avg, at::full({5}, (world_ + 1) / 2.0, at::kDouble)));
  at::Tensor max = at::full({3}, static_cast<int64_t>(rank_ * 7), at::kLong);
  comm_.AllReduce(max, ReduceOp::kMax);
  EXPECT_EQ(max[2].item<int64_t>(), (world_ - 1) * 7);
}

TEST_F(CommunicatorTest, AllReduceOfALargeTensor) {
  at::Tensor t = at::full({3 << 20}, static_cast<float>(rank_), at::kFloat);
  comm_.AllReduce(t, ReduceOp::kSum);
  EXPECT_EQ(t.min().item<float>(), world_ * (world_ - 1) / 2.0f);
  EXPECT_EQ(t.max().item<float>(), world_ * (world_ - 1) / 2.0f);
}

TEST_F(CommunicatorTest, BroadcastFromEveryRoot) {
  for (int root = 0; root < world_; ++root) {
    at::Tensor t = at::full({4, 2}, static_cast<float>(rank_ * 10 + 1), at::kFloat);
    comm_.Broadcast(t, root);
    EXPECT_TRUE(at::equal(t, at::full({4, 2}, static_cast<float>(root * 10 + 1), at::kFloat)));
  }
}

TEST_F(CommunicatorTest, AllGatherPutsRankRowsInOrder) {
  at::Tensor mine = at::full({2, 3}, static_cast<int64_t>(rank_), at::kLong);
  at::Tensor all = comm_.AllGather(mine);
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{world_, 2, 3}));
  for (int r = 0; r < world_; ++r) EXPECT_TRUE(at::equal(all[r], at::full({2, 3}, int64_t{r}, at::kLong)));
  comm_.Barrier();
}

TEST_F(CommunicatorTest, SendReceiveAlongARing) {
  for (int offset = 0; offset < world_; ++offset) {
    const int to = (rank_ + offset) % world_;
    const int from = (rank_ - offset + world_) % world_;
    at::Tensor mine = at::full({3, 2}, static_cast<int64_t>(rank_ * 10), at::kLong);
    const at::Tensor got = comm_.SendReceive(mine, to, from);
    EXPECT_TRUE(at::equal(got, at::full({3, 2}, static_cast<int64_t>(from * 10), at::kLong))) << offset;
  }
}

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

// A stalled peer must not make the others burn their cores (Open MPI's blocking calls poll): the last rank arrives
// 0.5 s late at each kind of collective, and the ones waiting for it spend under a tenth of that on the CPU.
TEST_F(CommunicatorTest, WaitingForALateRankCostsLittleCpu) {
  if (world_ < 2) GTEST_SKIP() << "needs a rank to wait for";
  const std::vector<std::pair<const char*, std::function<void()>>> collectives = {
      {"AllReduce", [&] { at::Tensor t = at::ones({1000}); comm_.AllReduce(t, ReduceOp::kSum); }},
      {"Broadcast", [&] { at::Tensor t = at::ones({1000}); comm_.Broadcast(t, world_ - 1); }},
      {"AllGather", [&] { comm_.AllGather(at::ones({10})); }},
      {"SendReceive", [&] { comm_.SendReceive(at::ones({10}), (rank_ + 1) % world_, (rank_ + world_ - 1) % world_); }},
      {"Barrier", [&] { comm_.Barrier(); }}};
  for (const auto& [name, collective] : collectives) {
    comm_.Barrier();
    if (rank_ == world_ - 1) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto wall_start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuSeconds();
    collective();
    const double cpu_s = ThreadCpuSeconds() - cpu_start;
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (rank_ == world_ - 1 || (std::string(name) == "SendReceive" && rank_ != 0)) continue;  // did not wait
    EXPECT_GT(wall_s, 0.4) << name;
    EXPECT_LT(cpu_s, 0.1 * wall_s) << name << ": " << cpu_s << " s on the CPU while waiting " << wall_s << " s";
  }
}

// Started all-reduces return at once, even while a peer is late, and give bitwise what the blocking calls give; a
// blocking collective after them is ordered behind them.
TEST_F(CommunicatorTest, BackgroundAllReducesReturnAtOnceAndMatchTheBlockingOnes) {
  if (world_ < 2) GTEST_SKIP() << "one rank has nothing to send";
  BackgroundCommunicator background(std::make_unique<MpiCommunicator>());
  auto inputs = [&] {
    return std::vector<at::Tensor>{at::full({10}, 0.1 * (rank_ + 1), at::kDouble),    // small: non-blocking
                                   at::randn({1 << 20}).add_(rank_),  // large: blocking
                                   at::arange(1000, at::kFloat) * (rank_ + 1)};
  };
  at::manual_seed(5);
  std::vector<at::Tensor> expected = inputs();
  for (at::Tensor& t : expected) comm_.AllReduce(t, ReduceOp::kAverage);
  at::Tensor expected_after = at::full({3}, 1.0 + rank_);
  comm_.AllReduce(expected_after, ReduceOp::kMax);

  at::manual_seed(5);
  std::vector<at::Tensor> started = inputs();
  comm_.Barrier();
  if (rank_ == world_ - 1) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  for (at::Tensor& t : started) background.StartAllReduce(t, ReduceOp::kAverage, t.scalar_type());
  const double start_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (rank_ != world_ - 1) {
    EXPECT_LT(start_s, 0.1) << "starting waited for the late rank";
  }
  at::Tensor after = at::full({3}, 1.0 + rank_);
  background.AllReduce(after, ReduceOp::kMax);
  EXPECT_TRUE(at::equal(after, expected_after));
  for (size_t i = 0; i < started.size(); ++i) EXPECT_TRUE(at::equal(started[i], expected[i])) << "tensor " << i;
}

// An all-reduce that fails on the background thread fails FinishAllReduces() with its own error; what was queued
// behind it does not run (the ranks' collectives would be out of step), and later collectives work.
TEST_F(CommunicatorTest, ABackgroundAllReducesErrorSurfacesAtFinish) {
  if (world_ < 2) GTEST_SKIP() << "one rank runs started all-reduces at once";
  BackgroundCommunicator background(std::make_unique<MpiCommunicator>());
  at::Tensor unsupported = at::ones({4}, at::kShort);
  at::Tensor queued = at::ones({4});
  background.StartAllReduce(unsupported, ReduceOp::kSum, at::kShort);
  background.StartAllReduce(queued, ReduceOp::kSum, at::kFloat);
  try {
    background.FinishAllReduces();
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "MpiCommunicator: dtype Short is not supported");
  }
  EXPECT_TRUE(at::equal(queued, at::ones({4})));
  at::Tensor later = at::ones({4});
  background.AllReduce(later, ReduceOp::kSum);
  EXPECT_TRUE(at::equal(later, at::full({4}, static_cast<float>(world_))));
}

TEST(PollPauseTest, SpinsBrieflyThenSleepsAShareOfTheWaitUpToACap) {
  using std::chrono::microseconds;
  EXPECT_EQ(PollPause(microseconds(19000)).count(), 0);
  EXPECT_EQ(PollPause(microseconds(21000)), microseconds(1050));
  EXPECT_EQ(PollPause(microseconds(100000)), microseconds(5000));
  EXPECT_EQ(PollPause(std::chrono::seconds(100)), std::chrono::milliseconds(10));
}

TEST_F(CommunicatorTest, RejectsNonContiguousTensors) {
  at::Tensor t = at::zeros({4, 4}).t();
  EXPECT_THROW(comm_.AllReduce(t, ReduceOp::kSum), std::invalid_argument);
}

TEST_F(CommunicatorTest, GradientBucketerAveragesThroughBucketViews) {
  // Parameters of several sizes, a 64-byte cap: several buckets, one of them oversized.
  std::vector<at::Tensor> params;
  for (int64_t n : {3, 40, 5, 7, 2}) params.push_back(at::zeros({n}, at::kFloat).requires_grad_(true));
  GradientBucketer bucketer(comm_, params, BucketerOptions{64});
  EXPECT_GE(bucketer.plan().size(), 3u);
  for (int step = 0; step < 2; ++step) {
    bucketer.ZeroGrad();
    for (size_t i = 0; i < params.size(); ++i) {
      // d/dp sum(p * c) = c with c = rank + i + step, accumulated into the bucket view by autograd.
      (params[i] * static_cast<float>(rank_ + i + step)).sum().backward();
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const at::Tensor& grad = params[i].grad();
      bool inside_a_bucket = false;
      for (const at::Tensor& buffer : bucketer.buffers()) {
        inside_a_bucket |= grad.data_ptr<float>() >= buffer.data_ptr<float>() &&
                           grad.data_ptr<float>() < buffer.data_ptr<float>() + buffer.numel();
      }
      EXPECT_TRUE(inside_a_bucket) << "gradient " << i << " left its bucket";
    }
    bucketer.AverageGradients();
    for (size_t i = 0; i < params.size(); ++i) {
      const float expected = (world_ - 1) / 2.0f + i + step;
      EXPECT_TRUE(at::allclose(params[i].grad(), at::full_like(params[i], expected))) << i;
    }
  }
}

TEST_F(CommunicatorTest, BroadcastAndAverageTensorLists) {
  std::vector<at::Tensor> tensors{at::full({3}, static_cast<float>(rank_)), at::full({2}, int64_t{rank_ * 2})};
  AverageTensors(comm_, tensors);
  EXPECT_TRUE(at::allclose(tensors[0], at::full({3}, (world_ - 1) / 2.0f)));
  EXPECT_EQ(tensors[1][0].item<int64_t>(), (world_ - 1));  // floor((0 + 2 + ... + 2(W-1)) / W) = W - 1
  std::vector<at::Tensor> mine{at::full({2, 2}, static_cast<double>(rank_ + 5), at::kDouble)};
  BroadcastTensors(comm_, mine, world_ - 1);
  EXPECT_TRUE(at::equal(mine[0], at::full({2, 2}, static_cast<double>(world_ + 4), at::kDouble)));
}

TEST_F(CommunicatorTest, StatusAgreementReportsTheLowestFailingRank) {
  EXPECT_TRUE(AgreeOnStatus(comm_, absl::OkStatus()).ok());
  const absl::Status local =
      rank_ == world_ - 1 ? absl::NotFoundError("no data here") : absl::OkStatus();
  const absl::Status agreed = AgreeOnStatus(comm_, local);
  EXPECT_EQ(agreed.code(), absl::StatusCode::kNotFound);
  const std::string expected = world_ > 1 ? "rank " + std::to_string(world_ - 1) + ": no data here" : "no data here";
  EXPECT_EQ(agreed.message(), expected);
}

}  // namespace
}  // namespace strobe
