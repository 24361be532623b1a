#ifndef STROBE_WORKER_DATA_WORKER_POOL_H_
#define STROBE_WORKER_DATA_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace strobe {

// A fixed set of threads running tasks in the order they were posted (the input pipeline's decoders).
class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // finishes the tasks already posted
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Post(std::function<void()> task);
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void Work();

  std::mutex mutex_;
  std::condition_variable posted_;
  std::deque<std::function<void()>> tasks_;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

// Counts down the tasks of one job; Wait returns once all have called Done.
class Countdown {
 public:
  explicit Countdown(int64_t count) : remaining_(count) {}
  void Done();
  void Wait();

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  int64_t remaining_;
};

}  // namespace strobe

#endif  // STROBE_WORKER_DATA_WORKER_POOL_H_
