// Strobe's own at::parallel_for loops (the CPU mixing kernel's) run on LibTorch's threads. With LibTorch's OpenMP
// backend that holds only for code compiled with OpenMP (cmake/TorchOpenMP.cmake); this test is compiled the way
// Strobe's libraries are, and ran its loop on one thread before the build said so.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

namespace strobe {
namespace {

TEST(ParallelForTest, SpreadsALoopOverTheThreadsItIsGiven) {
  const int before = at::get_num_threads();
  at::set_num_threads(2);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  int64_t chunks = 0;
  at::parallel_for(0, 64, 1, [&](int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
    ++chunks;
  });
  at::set_num_threads(before);
  EXPECT_EQ(chunks, 2);
  EXPECT_EQ(threads.size(), 2u);
}

}  // namespace
}  // namespace strobe
