// Entry point of the multi-rank test binaries: `mpirun -np N strobe_mpi_tests`. Rank 0 prints the usual
// GoogleTest report; other ranks print only their failures, prefixed with their rank. The exit code is non-zero
// if any rank failed.
#include <gtest/gtest.h>
#include <mpi.h>

#include <ATen/ATen.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "ops/distributed_context.h"
#include "tests/mpi/mpi_test_env.h"
#include "worker/file_system.h"

namespace strobe::testing {
namespace {

DistributedContext g_context;

class FailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_, result.file_name() ? result.file_name() : "?",
                 result.line_number(), result.summary());
    std::fflush(stderr);
  }

 private:
  int rank_;
};

}  // namespace

const DistributedContext& Context() { return g_context; }

std::string SharedTempDir(Communicator& communicator) {
  at::Tensor pid = at::full({1}, static_cast<int64_t>(getpid()), at::kLong);
  communicator.Broadcast(pid, 0);
  const std::string dir = "/tmp/strobe_mpi_test_" + std::to_string(pid.item<int64_t>());
  if (communicator.rank() == 0) {
    EXPECT_TRUE(RemoveTree(dir).ok());
    EXPECT_TRUE(MakeDirectories(dir).ok());
  }
  communicator.Barrier();
  return dir;
}

}  // namespace strobe::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  strobe::testing::g_context = strobe::InitDistributed(&argc, &argv);
  const int rank = strobe::testing::g_context.rank;
  if (rank != 0) {
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new strobe::testing::FailurePrinter(rank));
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0 && any_failed && !failed) std::fprintf(stderr, "FAILED on another rank (see [rank N] lines)\n");
  strobe::FinalizeDistributed();
  return any_failed;
}
