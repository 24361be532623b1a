#include "ops/distributed_context.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "ops/mpi_check.h"

namespace strobe {
namespace {

std::atomic<bool> mpi_call_left_running{false};

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

}  // namespace

namespace internal {

void MpiFailure(int code, const char* call, const char* file, int line) {
  char message[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, message, &length);
  int rank = -1;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fprintf(stderr, "strobe: rank %d on %s: MPI call %s failed: %s (%s:%d)\n", rank, HostName().c_str(), call,
               message, file, line);
  std::fflush(stderr);
  if (initialized) MPI_Abort(MPI_COMM_WORLD, 3);
  std::exit(3);
}

}  // namespace internal

DistributedContext InitDistributed(int* argc, char*** argv) {
  // Gradient buckets are all-reduced on a thread of their own while backward computes (BackgroundCommunicator),
  // in Open MPI's blocking all-reduce, whose wait polls. Yielding the core while nothing arrives lets backward
  // keep it: across two hosts with 5 ms links, resnet20's backward took 136 ms with a bucket in flight (95 ms
  // with none), and 100 ms when the wait yields. An operator's own setting in the environment (or mpirun --mca)
  // wins; one in an mca-params.conf file does not, as the environment outranks those.
  setenv("OMPI_MCA_mpi_yield_when_idle", "1", /*overwrite=*/0);
  // A TCP message above the eager limit (Open MPI: 64 KiB) waits one round trip for the receiver's go-ahead before
  // its data leaves; up to 4 MiB a small model's gradient buckets go at once. Across two hosts with 5 ms links
  // this cut the step's exposed all-reduce from 195 to 38 ms (resnet20 in 4 buckets). The receiver buffers such a
  // message if it arrives early, which costs memory, not time. Neither setting changes what is computed.
  setenv("OMPI_MCA_btl_tcp_eager_limit", "4194304", /*overwrite=*/0);
  int provided = 0;
  STROBE_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided));
  if (provided < MPI_THREAD_SERIALIZED) {
    std::fprintf(stderr, "strobe: the MPI library provides thread level %d; Strobe needs MPI_THREAD_SERIALIZED\n",
                 provided);
    AbortDistributed(3);
  }
  // Collective errors are turned into a message and a job-wide abort by STROBE_MPI_CHECK instead of MPI's
  // default immediate abort, so the user learns which rank and which call failed.
  STROBE_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));

  DistributedContext context;
  STROBE_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &context.rank));
  STROBE_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &context.world_size));
  MPI_Comm local = MPI_COMM_NULL;
  STROBE_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, context.rank, MPI_INFO_NULL, &local));
  STROBE_MPI_CHECK(MPI_Comm_rank(local, &context.local_rank));
  STROBE_MPI_CHECK(MPI_Comm_size(local, &context.local_size));
  STROBE_MPI_CHECK(MPI_Comm_free(&local));
  context.host = HostName();
  return context;
}

void NoteMpiCallLeftRunning() { mpi_call_left_running.store(true); }

bool MpiCallLeftRunning() { return mpi_call_left_running.load(); }

void FinalizeDistributed() {
  if (MpiCallLeftRunning()) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void AbortDistributed(int exit_code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (MpiCallLeftRunning()) std::_Exit(exit_code);
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

}  // namespace strobe
