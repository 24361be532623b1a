# Sourced by the GPU check scripts after deploy/gpu/build_cuda.sh: runs the unit, MPI and GPU test binaries at
# world size 1 (singleton MPI) in /tmp/strobe-cuda, logs to $out, and names every failing unit test.
echo "== tests at world size 1 (singleton MPI)"
cd /tmp/strobe-cuda
./tests/strobe_unit_tests > "$out/unit.log" 2>&1; rc=$?; tail -3 "$out/unit.log"; echo "unit tests rc=$rc"
if [[ $rc -ne 0 ]]; then  # name each failing or crashing test
  for t in $(./tests/strobe_unit_tests --gtest_list_tests | awk '/^[^ ]/ {s=$1} /^  / {print s $1}'); do
    ./tests/strobe_unit_tests --gtest_filter="$t" > /dev/null 2>&1 || echo "  failed: $t"
  done
fi
./tests/strobe_mpi_tests > "$out/mpi.log" 2>&1; echo "mpi tests rc=$?"; tail -3 "$out/mpi.log"
./tests/strobe_gpu_tests > "$out/gpu_tests.log" 2>&1; echo "gpu tests rc=$?"
grep -E "^\[  |OK \]|FAILED|Failure|Expected|actual|Which is" "$out/gpu_tests.log" | tail -40
