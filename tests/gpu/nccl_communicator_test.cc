// The NCCL backend on CUDA tensors (CUDA builds only). With one GPU this runs at world size 1; on a multi-GPU host
// run it with one rank per GPU. Skips cleanly where no GPU is visible.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>

#include "ops/communicator.h"
#include "ops/gradient_bucketer.h"
#include "tests/gpu/nccl_test.h"

namespace strobe {
namespace {

using NcclCommunicatorTest = NcclTest;

TEST_F(NcclCommunicatorTest, AllReduceClosedForms) {
  for (at::ScalarType dtype : {at::kFloat, at::kDouble, at::kLong, at::kBFloat16}) {
    at::Tensor t = (at::arange(16, OnGpu(at::kDouble)) + (rank_ + 1)).to(dtype);
    comm_->AllReduce(t, ReduceOp::kSum);
    at::Tensor expected = at::arange(16, at::kDouble) * world_ + world_ * (world_ + 1) / 2;
    EXPECT_TRUE(at::equal(t.cpu().to(at::kDouble), expected)) << c10::toString(dtype);
  }
  at::Tensor avg = at::full({1 << 20}, static_cast<float>(rank_ + 1), OnGpu(at::kFloat));
  comm_->AllReduce(avg, ReduceOp::kAverage);
  EXPECT_FLOAT_EQ(avg.max().item<float>(), (world_ + 1) / 2.0f);
  at::Tensor max = at::full({3}, static_cast<float>(rank_), OnGpu(at::kFloat));
  comm_->AllReduce(max, ReduceOp::kMax);
  EXPECT_EQ(max.min().item<float>(), world_ - 1);
}

TEST_F(NcclCommunicatorTest, BroadcastAllGatherBarrier) {
  at::Tensor t = at::full({5}, static_cast<float>(rank_ + 7), OnGpu(at::kFloat));
  comm_->Broadcast(t, 0);
  EXPECT_EQ(t.sum().item<float>(), 35.0f);
  at::Tensor all = comm_->AllGather(at::full({2}, static_cast<int64_t>(rank_), OnGpu(at::kLong)));
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{world_, 2}));
  for (int r = 0; r < world_; ++r) EXPECT_EQ(all[r][1].item<int64_t>(), r);
  comm_->Barrier();
}

TEST_F(NcclCommunicatorTest, SendReceiveAlongARing) {
  for (int offset = 0; offset < world_; ++offset) {
    const int to = (rank_ + offset) % world_;
    const int from = (rank_ - offset + world_) % world_;
    at::Tensor mine = at::full({4, 3}, static_cast<float>(rank_ + 1), OnGpu(at::kFloat));
    const at::Tensor got = comm_->SendReceive(mine, to, from);
    EXPECT_TRUE(at::equal(got.cpu(), at::full({4, 3}, static_cast<float>(from + 1)))) << offset;
  }
}

TEST_F(NcclCommunicatorTest, GradientBucketerOnTheGpu) {
  std::vector<at::Tensor> params;
  for (int64_t n : {1000, 3, 70000}) params.push_back(at::zeros({n}, OnGpu(at::kFloat)).requires_grad_(true));
  GradientBucketer bucketer(*comm_, params, BucketerOptions{4096});
  bucketer.ZeroGrad();
  for (size_t i = 0; i < params.size(); ++i) (params[i] * static_cast<float>(rank_ + i)).sum().backward();
  bucketer.AverageGradients();
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(at::allclose(params[i].grad().cpu(), at::full({params[i].numel()}, (world_ - 1) / 2.0f + i)));
  }
}

TEST_F(NcclCommunicatorTest, AnNcclErrorNamesRankHostAndOperationAndEndsTheJob) {
  // The child re-runs this test from the start (CUDA does not survive fork) and fails on a root outside the job.
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  EXPECT_EXIT(
      {
        at::Tensor t = at::zeros({4}, OnGpu(at::kFloat));
        comm_->Broadcast(t, world_ + 3);
        c10::cuda::getCurrentCUDAStream().synchronize();
      },
      ::testing::ExitedWithCode(4), "rank [0-9]+ on .* \\(GPU [0-9]+\\): NCCL Broadcast failed");
}

TEST_F(NcclCommunicatorTest, CpuTensorsGoOverMpi) {
  at::Tensor cpu = at::full({2}, static_cast<double>(rank_ + 1));
  comm_->AllReduce(cpu, ReduceOp::kSum);
  EXPECT_TRUE(at::equal(cpu, at::full({2}, world_ * (world_ + 1) / 2.0, at::kDouble)));
  const at::Tensor gathered = comm_->AllGather(at::full({1}, static_cast<int64_t>(rank_)));
  EXPECT_FALSE(gathered.is_cuda());
  EXPECT_EQ(gathered.sum().item<int64_t>(), world_ * (world_ - 1) / 2);
}

}  // namespace
}  // namespace strobe
