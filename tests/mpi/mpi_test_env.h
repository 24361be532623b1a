#ifndef STROBE_TESTS_MPI_MPI_TEST_ENV_H_
#define STROBE_TESTS_MPI_MPI_TEST_ENV_H_

#include <string>

#include "ops/communicator.h"
#include "ops/distributed_context.h"

namespace strobe::testing {

// The context mpi_test_main built; valid inside tests.
const DistributedContext& Context();

// Collective: a fresh, empty directory that every rank sees, made by rank 0 (the ranks of these tests share a
// host). The caller removes it.
std::string SharedTempDir(Communicator& communicator);

}  // namespace strobe::testing

#endif  // STROBE_TESTS_MPI_MPI_TEST_ENV_H_
