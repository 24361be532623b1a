#ifndef STROBE_TESTS_MPI_MPI_TEST_ENV_H_
#define STROBE_TESTS_MPI_MPI_TEST_ENV_H_

#include "ops/distributed_context.h"

namespace strobe::testing {

// The context mpi_test_main built; valid inside tests.
const DistributedContext& Context();

}  // namespace strobe::testing

#endif  // STROBE_TESTS_MPI_MPI_TEST_ENV_H_
