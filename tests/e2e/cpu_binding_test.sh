#!/usr/bin/env bash
# End to end: a rank that mpirun bound to one core (its default for 2 ranks or fewer) while the host has more gets
# one warning naming the binding and the fix, and threads that fit the one core; unbound (--bind-to none), no warning
# and the host's cores. Needs 2 or more cores: exits 77 (skipped) on one.
# Usage: cpu_binding_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
source "$(dirname "$0")/lib.sh"
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)  # nproc alone would follow OMP_NUM_THREADS
[[ $cores -ge 2 ]] || { echo "SKIP: needs 2 or more cores, has $cores"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(train --train_samples=256 --eval_samples=100 --epochs=1 --batch_size=128 --progress=lines)

bound=$(timeout 120 "$mpiexec" -np 1 --bind-to core "$strobe" "${common[@]}" --run_dir="$work/bound" 2>&1) \
  || { echo "$bound"; fail "bound run exited with $?"; }
[[ $(grep -c "strobe: warning: 1 of 1 ranks may run on fewer CPU cores" <<<"$bound") -eq 1 ]] \
  || { echo "$bound"; fail "no single binding warning for a rank bound to one core"; }
grep -q "rank 0: 1 of the host's $cores cores, where its share is $cores" <<<"$bound" || { echo "$bound"; fail "cores"; }
grep -q -- "--bind-to none" <<<"$bound" || { echo "$bound"; fail "the warning does not say how to launch instead"; }
grep -q ", 1 thread(s) per rank" <<<"$bound" || { echo "$bound"; fail "a rank bound to one core runs more threads"; }

free=$(timeout 120 "$mpiexec" -np 1 --bind-to none "$strobe" "${common[@]}" --run_dir="$work/free" 2>&1) \
  || { echo "$free"; fail "unbound run exited with $?"; }
! grep -q "warning" <<<"$free" || { echo "$free"; fail "warning for an unbound rank"; }
grep -q ", $cores thread(s) per rank" <<<"$free" || { echo "$free"; fail "an unbound rank does not use the $cores cores"; }

# Two ranks bound one core each on a 2-core host have exactly their share: no warning.
if [[ $cores -eq 2 ]]; then
  pair=$(timeout 120 "$mpiexec" -np 2 --bind-to core "$strobe" "${common[@]}" --run_dir="$work/pair" 2>&1) \
    || { echo "$pair"; fail "2-rank run exited with $?"; }
  ! grep -q "warning" <<<"$pair" || { echo "$pair"; fail "warning for ranks bound to their share"; }
fi
echo "PASS: a rank bound to 1 of $cores cores is warned about and runs 1 thread; unbound it runs $cores"
