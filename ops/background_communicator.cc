#include "ops/background_communicator.h"

#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <pthread.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <utility>

#include "ops/distributed_context.h"

namespace strobe {

struct BackgroundCommunicator::Queue {
  struct Started {
    at::Tensor tensor;
    ReduceOp op;
    at::ScalarType wire;
  };

  explicit Queue(std::unique_ptr<Communicator> communicator) : inner(std::move(communicator)) {}

  std::unique_ptr<Communicator> inner;
  std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable work_done;
  std::deque<Started> started;  // guarded by mutex, as are the three below
  bool busy = false;            // the thread is running an all-reduce taken off the queue
  bool stopping = false;
  bool abandoned = false;  // destroyed while the thread was inside a collective
  std::exception_ptr error;
};

BackgroundCommunicator::BackgroundCommunicator(std::unique_ptr<Communicator> inner)
    : queue_(std::make_shared<Queue>(std::move(inner))) {
  if (queue_->inner->world_size() > 1) {
    thread_ = std::thread([queue = queue_] { Serve(*queue); });
  }
}

BackgroundCommunicator::~BackgroundCommunicator() {
  if (!thread_.joinable()) return;
  bool in_collective = false;
  {
    const std::lock_guard<std::mutex> lock(queue_->mutex);
    queue_->stopping = true;
    in_collective = queue_->busy;
    queue_->abandoned = in_collective;
  }
  queue_->work_ready.notify_one();
  if (!in_collective) {
    thread_.join();
    return;
  }
  // Joining would hold the caller's error here for as long as a stopped peer keeps the collective open. The
  // process makes no MPI call from now on, since this thread is still in one (MPI_THREAD_SERIALIZED).
  NoteMpiCallLeftRunning();
  thread_.detach();
}

namespace {

// ATen's arithmetic here (the average's division, the wire format's conversions) would otherwise start an OpenMP
// team of --threads for this thread, busy beside the training thread's own team. Each element's result does not
// depend on how the loop is split, so the bits are the same.
void RunAloneOnThisThread() {
#ifdef _OPENMP
  at::get_num_threads();  // ATen sizes a thread's team on its first use: let it, then size it to one
  omp_set_num_threads(1);
#endif
}

}  // namespace

void BackgroundCommunicator::Serve(Queue& queue) {
  pthread_setname_np(pthread_self(), "strobe-comm");  // what top -H and the thread-budget test show
  RunAloneOnThisThread();
  std::unique_lock<std::mutex> lock(queue.mutex);
  while (true) {
    queue.work_ready.wait(lock, [&queue] { return queue.stopping || !queue.started.empty(); });
    // Abandoned: the job is ending; destroying the inner communicator would be one more MPI call (MPI_Comm_free)
    // beside the training thread's way out, so it is left to the process's exit.
    if (queue.abandoned) static_cast<void>(queue.inner.release());
    if (queue.stopping) return;
    Queue::Started started = std::move(queue.started.front());
    queue.started.pop_front();
    queue.busy = true;
    // After an error the ranks' collectives are out of step: run nothing more, report the first error.
    if (queue.error == nullptr) {
      lock.unlock();
      std::exception_ptr error;
      try {
        queue.inner->StartAllReduce(started.tensor, started.op, started.wire);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error != nullptr) queue.error = error;
    }
    queue.busy = false;
    if (queue.started.empty()) queue.work_done.notify_all();
  }
}

int BackgroundCommunicator::rank() const { return queue_->inner->rank(); }

int BackgroundCommunicator::world_size() const { return queue_->inner->world_size(); }

void BackgroundCommunicator::StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) {
  if (!thread_.joinable()) {
    queue_->inner->StartAllReduce(tensor, op, wire);
    return;
  }
  {
    const std::lock_guard<std::mutex> lock(queue_->mutex);
    queue_->started.push_back(Queue::Started{tensor, op, wire});
  }
  queue_->work_ready.notify_one();
}

void BackgroundCommunicator::FinishAllReduces() {
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(queue_->mutex);
    queue_->work_done.wait(lock, [this] { return queue_->started.empty() && !queue_->busy; });
    error = std::exchange(queue_->error, nullptr);
  }
  queue_->inner->FinishAllReduces();  // also after an error: the inner communicator's step ends either way
  if (error != nullptr) std::rethrow_exception(error);
}

void BackgroundCommunicator::AllReduce(at::Tensor& tensor, ReduceOp op) {
  FinishAllReduces();
  queue_->inner->AllReduce(tensor, op);
}

void BackgroundCommunicator::Broadcast(at::Tensor& tensor, int root) {
  FinishAllReduces();
  queue_->inner->Broadcast(tensor, root);
}

at::Tensor BackgroundCommunicator::AllGather(const at::Tensor& tensor) {
  FinishAllReduces();
  return queue_->inner->AllGather(tensor);
}

at::Tensor BackgroundCommunicator::SendReceive(const at::Tensor& tensor, int destination, int source) {
  FinishAllReduces();
  return queue_->inner->SendReceive(tensor, destination, source);
}

void BackgroundCommunicator::Barrier() {
  FinishAllReduces();
  queue_->inner->Barrier();
}

}  // namespace strobe
