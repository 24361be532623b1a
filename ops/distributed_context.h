#ifndef STROBE_OPS_DISTRIBUTED_CONTEXT_H_
#define STROBE_OPS_DISTRIBUTED_CONTEXT_H_

#include <string>

namespace strobe {

// Who this process is in the job. Built once in main() from MPI (which works the same under mpirun, srun with
// PMIx, or as a plain singleton process) and passed explicitly; nothing else asks the launcher.
struct DistributedContext {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;  // rank among the processes on this host; selects the GPU in CUDA builds
  int local_size = 1;
  std::string host;
};

// Initialises MPI (thread level SERIALIZED: only one thread calls MPI at a time) and discovers the context.
// Must be called once, before any communicator is built; FinalizeDistributed() undoes it.
DistributedContext InitDistributed(int* argc, char*** argv);
void FinalizeDistributed();

// Ends every rank of the job with `exit_code`; for failures that leave peers blocked in a collective.
[[noreturn]] void AbortDistributed(int exit_code);

// Another thread was left inside an MPI call that may never return (a collective whose peer has stopped). MPI is
// initialised for one thread at a time, so from then on this process makes no MPI call: AbortDistributed() exits
// without MPI_Abort (mpirun and srun end every rank of a job when one exits before MPI_Finalize), and
// FinalizeDistributed() does nothing.
void NoteMpiCallLeftRunning();
bool MpiCallLeftRunning();

}  // namespace strobe

#endif  // STROBE_OPS_DISTRIBUTED_CONTEXT_H_
