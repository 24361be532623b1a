// How often the MPI communicator makes the ranks meet at a barrier before a large collective. Counted through MPI's
// profiling interface: this binary's MPI_Ibarrier is the one below, which counts and calls Open MPI's.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <atomic>

#include "ops/background_communicator.h"
#include "ops/mpi_communicator.h"

namespace {
std::atomic<int> barriers{0};
}  // namespace

extern "C" int MPI_Ibarrier(MPI_Comm comm, MPI_Request* request) {
  ++barriers;
  return PMPI_Ibarrier(comm, request);
}

namespace strobe {
namespace {

// Started all-reduces of one step, as training starts them: the control word (small), then the gradient buckets,
// with a small plain all-reduce after the first bucket if `interrupted` (as --sync_bn's backward makes).
// Returns the barriers they waited at.
int BarriersOfOneStep(Communicator& comm, std::vector<at::Tensor>& buckets, bool interrupted = false) {
  const int before = barriers;
  at::Tensor control = at::ones({8});
  comm.StartAllReduce(control, ReduceOp::kSum, at::kFloat);
  for (size_t b = 0; b < buckets.size(); ++b) {
    comm.StartAllReduce(buckets[b], ReduceOp::kAverage, at::kFloat);
    if (interrupted && b == 0) {
      at::Tensor statistics = at::ones({64});
      comm.AllReduce(statistics, ReduceOp::kSum);
    }
  }
  comm.FinishAllReduces();
  EXPECT_TRUE(at::equal(control, at::full({8}, static_cast<float>(comm.world_size()))));
  return barriers - before;
}

TEST(BarrierCountTest, AStepsGradientBucketsMeetAtOneBarrierAndPlainCollectivesAtOneEach) {
  MpiCommunicator comm;
  const int rank = comm.rank();
  const int world = comm.world_size();
  // Three buckets of 256 KiB, above the size that travels in non-blocking collectives.
  std::vector<at::Tensor> buckets;
  for (int b = 0; b < 3; ++b) buckets.push_back(at::full({65536}, static_cast<float>(rank + b)));
  const int expected = world > 1 ? 1 : 0;
  EXPECT_EQ(BarriersOfOneStep(comm, buckets), expected);
  // The next step meets again: the barrier shows every rank in this step's backward, not only in the last one's.
  EXPECT_EQ(BarriersOfOneStep(comm, buckets), expected);
  for (int b = 0; b < 3; ++b) {  // averaged twice: the mean rank + b both times
    EXPECT_TRUE(at::allclose(buckets[b], at::full({65536}, (world - 1) / 2.0F + b))) << "bucket " << b;
  }
  // Collectives outside a step's started all-reduces each meet first, as before.
  const int before = barriers;
  comm.AllReduce(buckets[0], ReduceOp::kSum);
  comm.AllReduce(buckets[1], ReduceOp::kSum);
  EXPECT_EQ(barriers - before, 2 * expected);
}

// As training runs it: started all-reduces on the communication thread, which must hand the step's end on.
TEST(BarrierCountTest, ThroughTheCommunicationThreadAndAfterAPlainCollectiveInBetween) {
  BackgroundCommunicator comm(std::make_unique<MpiCommunicator>());
  const int expected = comm.world_size() > 1 ? 1 : 0;
  std::vector<at::Tensor> buckets;
  for (int b = 0; b < 3; ++b) buckets.push_back(at::full({65536}, static_cast<float>(comm.rank())));
  EXPECT_EQ(BarriersOfOneStep(comm, buckets), expected);
  EXPECT_EQ(BarriersOfOneStep(comm, buckets), expected);
  // A plain collective ends the started ones, so the bucket after it meets the ranks again.
  EXPECT_EQ(BarriersOfOneStep(comm, buckets, /*interrupted=*/true), 2 * expected);
  for (const at::Tensor& bucket : buckets) {
    EXPECT_TRUE(at::allclose(bucket, at::full({65536}, (comm.world_size() - 1) / 2.0F)));
  }
}

}  // namespace
}  // namespace strobe
