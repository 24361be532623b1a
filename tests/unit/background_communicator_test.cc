#include "ops/background_communicator.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <utility>

#include <gtest/gtest.h>

#include "ops/distributed_context.h"

namespace strobe {
namespace {

using std::chrono::seconds;

// Two ranks, of which the other one has stopped: a started all-reduce waits until the test lets it return.
class StoppedPeerCommunicator : public Communicator {
 public:
  struct Signals {
    std::promise<void> entered;  // the first all-reduce is waiting for the peer
    std::shared_future<void> peer_resumed;
    std::promise<void> destroyed;
    std::atomic<int> all_reduces{0};
  };
  // Shared, because the communication thread may destroy this communicator after the test has moved on.
  explicit StoppedPeerCommunicator(std::shared_ptr<Signals> signals) : signals_(std::move(signals)) {}
  ~StoppedPeerCommunicator() override { signals_->destroyed.set_value(); }

  int rank() const override { return 0; }
  int world_size() const override { return 2; }
  void StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) override {
    if (signals_->all_reduces++ == 0) signals_->entered.set_value();
    signals_->peer_resumed.wait();
  }
  void AllReduce(at::Tensor& tensor, ReduceOp op) override { ADD_FAILURE() << "unexpected collective"; }
  void Broadcast(at::Tensor& tensor, int root) override { ADD_FAILURE() << "unexpected collective"; }
  at::Tensor AllGather(const at::Tensor& tensor) override {
    ADD_FAILURE() << "unexpected collective";
    return tensor;
  }
  at::Tensor SendReceive(const at::Tensor& tensor, int destination, int source) override {
    ADD_FAILURE() << "unexpected collective";
    return tensor;
  }
  void Barrier() override { ADD_FAILURE() << "unexpected collective"; }

 private:
  const std::shared_ptr<Signals> signals_;
};

// An exception that leaves a step while a bucket waits for a stopped peer must reach the top (which ends the job)
// instead of waiting in the communicator's destructor for a peer that may never come; the process makes no MPI call
// after that (the top exits without MPI_Abort), and the inner communicator is never destroyed (MPI_Comm_free).
TEST(BackgroundCommunicatorTest, DestructionDoesNotWaitForACollectiveWhosePeerHasStopped) {
  auto signals = std::make_shared<StoppedPeerCommunicator::Signals>();
  std::promise<void> resume_peer;
  signals->peer_resumed = resume_peer.get_future().share();
  std::future<void> destroyed = signals->destroyed.get_future();
  std::future<void> entered = signals->entered.get_future();
  auto background = std::make_unique<BackgroundCommunicator>(std::make_unique<StoppedPeerCommunicator>(signals));
  at::Tensor waiting = at::ones({4});
  at::Tensor queued = at::ones({4});
  background->StartAllReduce(waiting, ReduceOp::kSum, at::kFloat);
  background->StartAllReduce(queued, ReduceOp::kSum, at::kFloat);
  entered.wait();
  ASSERT_FALSE(MpiCallLeftRunning());

  auto destroy = std::async(std::launch::async, [&background] { background.reset(); });
  const bool returned_at_once = destroy.wait_for(seconds(5)) == std::future_status::ready;
  resume_peer.set_value();  // before any assertion returns, so that a failing destructor cannot hang the test
  EXPECT_TRUE(returned_at_once) << "the destructor waited for the stopped peer";
  EXPECT_TRUE(MpiCallLeftRunning()) << "the way out would call MPI beside the thread still in a collective";
  EXPECT_EQ(destroyed.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "the inner communicator was destroyed by the abandoned thread";
  EXPECT_EQ(signals->all_reduces.load(), 1) << "an all-reduce queued behind the running one ran after destruction";
}

// Records how many threads ATen would give a loop where the started all-reduces run.
class ThreadCountingCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 2; }
  void StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) override {
    aten_threads = at::get_num_threads();
  }
  void AllReduce(at::Tensor& tensor, ReduceOp op) override {}
  void Broadcast(at::Tensor& tensor, int root) override {}
  at::Tensor AllGather(const at::Tensor& tensor) override { return tensor; }
  at::Tensor SendReceive(const at::Tensor& tensor, int destination, int source) override { return tensor; }
  void Barrier() override {}

  int aten_threads = 0;  // written by the communication thread, read after FinishAllReduces()
};

// --threads counts the compute threads of a rank: the communication thread's arithmetic (an average's division)
// must not start an OpenMP team of its own beside the training thread's.
TEST(BackgroundCommunicatorTest, StartedAllReducesComputeOnTheCommunicationThreadAlone) {
#ifndef _OPENMP
  GTEST_SKIP() << "LibTorch's native thread pool: every thread shares one intra-op pool";
#endif
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  auto inner = std::make_unique<ThreadCountingCommunicator>();
  ThreadCountingCommunicator& counting = *inner;
  BackgroundCommunicator background(std::move(inner));
  at::Tensor bucket = at::ones({4});
  background.StartAllReduce(bucket, ReduceOp::kAverage, at::kFloat);
  background.FinishAllReduces();
  EXPECT_EQ(counting.aten_threads, 1);
  EXPECT_EQ(at::get_num_threads(), 2) << "the training thread's team changed";
  at::set_num_threads(threads);
}

}  // namespace
}  // namespace strobe
