#!/usr/bin/env bash
# Does the 2-rank CPU run lose its scaling efficiency to step-time jitter? A synchronous step lasts as long as the
# slower rank's, so two ranks whose step times vary pay, each step, the maximum of two draws. This runs, in
# alternation, (a) a 2-rank Strobe run and (b) two independent one-rank Strobe runs at once (one per core), all
# with the same per-rank batch and number of steps and --log_every=1, and compares per step (first 2 left out):
#   one-rank step time (mean over both processes), the per-step maximum of the two processes, the 2-rank step.
# If the 2-rank step is close to the pair's per-step maximum, the jitter explains the efficiency loss; the gap
# between the two is what communicating adds on top.
# A second line splits the 2-rank step with its step breakdown (metrics.jsonl, docs/watching.md): per step the
# faster and the slower rank's busy time (compute, no waiting) and the rest (communication), so that
#   efficiency = (one-rank step / faster rank's busy)  [how much slower a rank computes beside another]
#              x (faster busy / slower busy)           [the lockstep: waiting for the slower rank]
#              x (slower busy / 2-rank step)           [communication the slower rank still waits for]
# Usage: bench/step_jitter.sh [BUILD_DIR] [PER_RANK_BATCH] [STEPS] [REPEATS] [EXTRA STROBE FLAGS...]
#   (defaults: build 256 40 3; e.g. add --mixup_alpha=0.8 --cutmix_alpha=1.0 --label_smoothing=0.1)
set -euo pipefail
build=${1:-build}
batch=${2:-256}
steps=${3:-40}
repeats=${4:-3}
shift $(( $# < 4 ? $# : 4 ))
extra=("$@")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(train --model=resnet20 --epochs=1 --lr=0.1 --warmup_epochs=0.5 --seed=1 --threads=1 --log_every=1
        --eval_samples=100 "${extra[@]}")

# Seconds per step, one line per step, from a run's "... N img/s ..." lines; $2 images per step.
step_seconds() { sed -n 's/^epoch .* step \([0-9]*\)\/.* \([0-9.]*\) img\/s .*/\1 \2/p' "$1" |
                 awk -v images="$2" '{ printf "%d %.6f\n", $1, images / $2 }'; }

for r in $(seq "$repeats"); do
  rm -rf "$work"/run*
  mpirun -np 2 "$build/strobe" "${common[@]}" --batch_size=$((2 * batch)) --train_samples=$((2 * batch * steps)) \
    --run_dir="$work/run2" >"$work/two.log" 2>&1 || { cat "$work/two.log"; exit 1; }
  for p in 0 1; do
    taskset -c "$p" "$build/strobe" "${common[@]}" --batch_size="$batch" --train_samples=$((batch * steps)) \
      --run_dir="$work/run1-$p" >"$work/one-$p.log" 2>&1 &
  done
  wait
  step_seconds "$work/two.log" $((2 * batch)) >"$work/two.steps"
  step_seconds "$work/one-0.log" "$batch" >"$work/one-0.steps"
  step_seconds "$work/one-1.log" "$batch" >"$work/one-1.steps"
  join "$work/one-0.steps" "$work/one-1.steps" | join - "$work/two.steps" | awk -v r="$r" -v batch="$batch" '
    $1 > 2 { n++; one += ($2 + $3) / 2; mx += ($2 > $3 ? $2 : $3); two += $4 }
    END {
      printf "repetition %d, %d per rank, %d steps compared: one rank %.1f ms, per-step max of two %.1f ms, " \
             "2 ranks %.1f ms; efficiency if only jitter %.2f, observed %.2f\n",
             r, batch, n, 1000 * one / n, 1000 * mx / n, 1000 * two / n, one / mx, one / two }'
  python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def train_lines(run):
    return [l for l in map(json.loads, open(f"{work}/{run}/metrics.jsonl")) if l["kind"] == "train" and l["step"] > 2]
two = train_lines("run2")
one = [l["step_ms_median"] for run in ("run1-0", "run1-1") for l in train_lines(run)]
mean = lambda values: sum(values) / len(values)
one_ms, step_ms = mean(one), mean([l["step_ms_median"] for l in two])
fast, slow = mean([l["busy_ms_min"] for l in two]), mean([l["busy_ms_max"] for l in two])
print(f"  2-rank step {step_ms:.1f} ms = slower rank busy {slow:.1f} ms + communication {step_ms - slow:.1f} ms; "
      f"faster rank busy {fast:.1f} ms; efficiency {one_ms / step_ms:.2f} = compute beside another rank "
      f"{one_ms / fast:.2f} x lockstep {fast / slow:.2f} x communication {slow / step_ms:.2f}")
PY
done
