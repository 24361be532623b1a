#!/usr/bin/env bash
# What a training feature costs in throughput: Strobe's images/s with it on vs off, in alternating runs (off, on,
# off, on, ...) so that slow phases of a shared machine hit both. resnet20 on Fashion-MNIST, 2 ranks of one thread,
# global batch 128, one epoch over SAMPLES training samples. Prints the img/s of every run, the medians and the
# median of the paired ratios.
# Usage: [BASE_FLAGS=...] bench/feature_cost.sh [BUILD_DIR] [SAMPLES] [REPEATS] [FEATURE]
#   FEATURE: ema (--ema_decay=0.9998 --ema_warmup; the default), accum2 (--accum_steps=2), accum4, syncbn
#   (--sync_bn), bf16 (--amp=bf16), or an optimizer against SGD: adamw, lamb, lars. BASE_FLAGS go to both sides
#   (e.g. --channels_last).
set -euo pipefail
build=${1:-build}
samples=${2:-15360}
repeats=${3:-3}
feature=${4:-ema}
case $feature in
  ema) feature_flags=(--ema_decay=0.9998 --ema_warmup) ;;
  accum2 | accum4) feature_flags=(--accum_steps="${feature#accum}") ;;
  syncbn) feature_flags=(--sync_bn) ;;
  bf16) feature_flags=(--amp=bf16) ;;
  adamw | lamb | lars) feature_flags=(--optimizer="$feature") ;;
  *) echo "feature_cost.sh: unknown feature '$feature' (known: ema, accum2, accum4, syncbn, bf16, adamw, lamb, lars)" >&2
     exit 2 ;;
esac
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
speed() {  # FLAGS...: one run's img/s
  rm -rf "$work/run"
  local out
  out=$(mpirun -np 2 "$build/strobe" train --epochs=1 --batch_size=128 --threads=1 --log_every=100000 \
    --train_samples="$samples" --run_dir="$work/run" ${BASE_FLAGS:-} "$@" 2>&1) || { echo "$out" >&2; exit 1; }
  sed -n 's/^strobe: done: .* steps, \([0-9.]*\) img\/s.*/\1/p' <<<"$out"
}
off=() on=()
for ((r = 1; r <= repeats; ++r)); do
  off+=("$(speed)")
  on+=("$(speed "${feature_flags[@]}")")
  echo "done: repetition $r/$repeats" >&2
done
echo "resnet20 / Fashion-MNIST, 2 ranks x 1 thread, global batch 128, $samples samples, $feature: ${feature_flags[*]}" \
     "${BASE_FLAGS:+(both: $BASE_FLAGS)}"
/usr/bin/python3 - "${off[*]}" "${on[*]}" <<'PY'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
ratios = sorted(b / a for a, b in zip(off, on))
print(f"off: {', '.join(f'{x:.1f}' for x in off)} img/s (median {statistics.median(off):.1f})")
print(f"on:  {', '.join(f'{x:.1f}' for x in on)} img/s (median {statistics.median(on):.1f})")
print(f"on / off: median {statistics.median(ratios):.3f} (range {ratios[0]:.3f}-{ratios[-1]:.3f})")
PY
