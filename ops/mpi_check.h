#ifndef STROBE_OPS_MPI_CHECK_H_
#define STROBE_OPS_MPI_CHECK_H_

#include <mpi.h>

namespace strobe::internal {
// Prints rank, host, the failed call, MPI's own message and file:line, then aborts the whole job so that peers
// blocked in the same collective do not hang.
[[noreturn]] void MpiFailure(int code, const char* call, const char* file, int line);
}  // namespace strobe::internal

#define STROBE_MPI_CHECK(call)                                                      \
  do {                                                                              \
    int strobe_mpi_rc_ = (call);                                                    \
    if (strobe_mpi_rc_ != MPI_SUCCESS)                                              \
      ::strobe::internal::MpiFailure(strobe_mpi_rc_, #call, __FILE__, __LINE__);    \
  } while (0)

#endif  // STROBE_OPS_MPI_CHECK_H_
