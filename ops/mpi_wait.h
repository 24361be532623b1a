#ifndef STROBE_OPS_MPI_WAIT_H_
#define STROBE_OPS_MPI_WAIT_H_

#include <mpi.h>

#include <chrono>

namespace strobe {

// Completes `count` MPI requests without keeping a core busy for as long as a peer is late. Open MPI's blocking
// calls poll shared memory and the network in a loop: a rank waiting for a stalled peer burns a core for the whole
// stall, and ranks that share cores take CPU from the ones still computing. This tests the requests (which also
// drives their progress) in a loop while the wait is short, as the waits for a peer's slightly slower step are,
// then sleeps between tests for PollPause(time waited so far).
void WaitWithoutSpinning(MPI_Request* requests, int count);

// None for the first 20 ms (sleeping through the ordinary waits of a training step cost 2-rank CPU training 10% of
// its throughput when it began after 100 us), then a twentieth of the time waited, 1 to 10 ms: a late peer is
// noticed at most ~5% after it arrives, and a stall costs about a hundred wake-ups a second.
std::chrono::nanoseconds PollPause(std::chrono::nanoseconds waited);

}  // namespace strobe

#endif  // STROBE_OPS_MPI_WAIT_H_
