#!/usr/bin/env bash
# Runs the whole test suite of an existing build/ (unit, multi-rank under mpirun, command line, end to end).
# Tests run one at a time: the multi-rank tests already use every core.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/mpi_env.sh
ctest --test-dir build --output-on-failure --timeout 900
