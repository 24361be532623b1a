#include "ops/background_communicator.h"

#include <ATen/core/Tensor.h>
#include <pthread.h>

#include <utility>

namespace strobe {

BackgroundCommunicator::BackgroundCommunicator(std::unique_ptr<Communicator> inner) : inner_(std::move(inner)) {
  if (inner_->world_size() > 1) thread_ = std::thread([this] { Serve(); });
}

BackgroundCommunicator::~BackgroundCommunicator() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  thread_.join();
}

void BackgroundCommunicator::Serve() {
  pthread_setname_np(pthread_self(), "strobe-comm");  // what top -H and the thread-budget test show
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    // Destroyed with all-reduces still queued (the caller left the step on an error): the job is ending, and
    // peers that are gone would hold this thread, and the destructor's join, forever.
    if (stopping_) return;
    Started started = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    // After an error the ranks' collectives are out of step: run nothing more, report the first error.
    if (error_ == nullptr) {
      lock.unlock();
      std::exception_ptr error;
      try {
        inner_->StartAllReduce(started.tensor, started.op, started.wire);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error != nullptr) error_ = error;
    }
    busy_ = false;
    if (queue_.empty()) work_done_.notify_all();
  }
}

void BackgroundCommunicator::StartAllReduce(at::Tensor& tensor, ReduceOp op, at::ScalarType wire) {
  if (!thread_.joinable()) {
    inner_->StartAllReduce(tensor, op, wire);
    return;
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Started{tensor, op, wire});
  }
  work_ready_.notify_one();
}

void BackgroundCommunicator::FinishAllReduces() {
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, [this] { return queue_.empty() && !busy_; });
    error = std::exchange(error_, nullptr);
  }
  if (error != nullptr) std::rethrow_exception(error);
  inner_->FinishAllReduces();
}

void BackgroundCommunicator::AllReduce(at::Tensor& tensor, ReduceOp op) {
  FinishAllReduces();
  inner_->AllReduce(tensor, op);
}

void BackgroundCommunicator::Broadcast(at::Tensor& tensor, int root) {
  FinishAllReduces();
  inner_->Broadcast(tensor, root);
}

at::Tensor BackgroundCommunicator::AllGather(const at::Tensor& tensor) {
  FinishAllReduces();
  return inner_->AllGather(tensor);
}

at::Tensor BackgroundCommunicator::SendReceive(const at::Tensor& tensor, int destination, int source) {
  FinishAllReduces();
  return inner_->SendReceive(tensor, destination, source);
}

void BackgroundCommunicator::Barrier() {
  FinishAllReduces();
  inner_->Barrier();
}

}  // namespace strobe
