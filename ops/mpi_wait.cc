#include "ops/mpi_wait.h"

#include <algorithm>
#include <thread>

#include "ops/mpi_check.h"

namespace strobe {

std::chrono::nanoseconds PollPause(std::chrono::nanoseconds waited) {
  using std::chrono::microseconds;
  if (waited < std::chrono::milliseconds(20)) return std::chrono::nanoseconds(0);
  return std::clamp<std::chrono::nanoseconds>(waited / 20, microseconds(1000), std::chrono::milliseconds(10));
}

void WaitWithoutSpinning(MPI_Request* requests, int count) {
  const auto start = std::chrono::steady_clock::now();
  int done = 0;
  while (true) {
    STROBE_MPI_CHECK(MPI_Testall(count, requests, &done, MPI_STATUSES_IGNORE));
    if (done) return;
    const std::chrono::nanoseconds pause = PollPause(std::chrono::steady_clock::now() - start);
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
}

}  // namespace strobe
