#!/usr/bin/env bash
# Strobe's heap policy (ops/heap_policy.h) against glibc's defaults, side by side in alternating runs: resnet20 on
# Fashion-MNIST, 2 ranks x 1 thread, 128 samples per rank, Mixup + CutMix with label smoothing. Prints each run's
# images/s and each rank's minor page faults and system time. glibc's defaults come back when the user tunes
# malloc: GLIBC_TUNABLES=glibc.malloc.tcache_count=7 sets a value equal to glibc's own, which makes Strobe keep
# its hands off and changes nothing else.
# Usage: bench/heap_policy.sh [BUILD_DIR] [REPEATS] [SAMPLES]
set -euo pipefail
build=${1:-build}
repeats=${2:-3}
samples=${3:-15360}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {
  rm -rf "$work/run"
  mpirun "$@" -np 2 bash -c '/usr/bin/time -f "rank $OMPI_COMM_WORLD_RANK: minor faults %R, system %S s, user %U s" \
    '"$build"'/strobe train --model=resnet20 --epochs=1 --batch_size=256 --lr=0.1 --warmup_epochs=0.5 --seed=1 \
    --threads=1 --log_every=100000 --train_samples='"$samples"' --mixup_alpha=0.8 --cutmix_alpha=1.0 \
    --label_smoothing=0.1 --run_dir='"$work/run" 2>&1 | grep -o '[0-9.]* img/s\|^rank .*' | sort -u | tr '\n' ' '
  echo
}
for ((r = 1; r <= repeats; ++r)); do
  echo "strobe's heap policy: $(run)"
  echo "glibc's defaults:     $(GLIBC_TUNABLES=glibc.malloc.tcache_count=7 run -x GLIBC_TUNABLES)"
done
