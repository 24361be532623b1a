#!/usr/bin/env bash
# Time to a test accuracy on Fashion-MNIST: Strobe against the PyTorch DDP reference (bench/ddp_baseline.py, gloo),
# resnet20, 2 ranks of one thread under mpirun's default binding, the same recipe on both sides unless STROBE_FLAGS
# adds to Strobe's (SGD, Nesterov, global batch 128, LR 0.1 x 128/256, warmup 0.5 epochs, cosine over EPOCHS), an
# evaluation of the whole test set after every epoch, runs alternating per seed. For each run: the wall-clock seconds
# from launch to the end of the first epoch whose evaluation reached TARGET ("not reached" otherwise), and the final
# accuracy; then the best of the seeds on each side and their ratio.
# Usage: bench/time_to_accuracy.sh [BUILD_DIR] [TARGET] [EPOCHS] [SEEDS]   e.g. build 0.93 12 3
set -euo pipefail
build=${1:-build}
target=${2:-0.93}
epochs=${3:-12}
seeds=${4:-1}
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
read -r -a extra <<<"${STROBE_FLAGS:-}"
# "SECONDS_TO_TARGET FINAL_ACCURACY" from lines "EPOCH TIME ACCURACY" after launch time $1.
first_reaching() { awk -v start="$1" -v t="$target" '{ last = $3 } !done && $3 >= t { s = $2 - start; done = 1 }
                   END { printf "%s %s\n", done ? sprintf("%.1f", s) : "not-reached", last }'; }
strobe_run() {  # SEED
  local start
  start=$(date +%s.%N)
  mpirun -np 2 "$build/strobe" train --epochs="$epochs" --batch_size=128 --threads=1 --seed="$1" --log_every=1000 \
    --run_dir="$work/strobe-$1" "${extra[@]}" >"$work/strobe-$1.log" 2>&1 || { cat "$work/strobe-$1.log" >&2; exit 1; }
  grep '"kind":"eval"' "$work/strobe-$1/metrics.jsonl" |
    sed -E 's/.*"epoch":([0-9]+).*"test_accuracy":([0-9.]+).*"time":([0-9.]+).*/\1 \3 \2/' | first_reaching "$start"
}
ddp_run() {  # SEED
  local start
  start=$(date +%s.%N)
  # A gloo rank once kept spinning after its last line (2026-12-05): its final line ends the wait, not its exit.
  mpirun -np 2 /usr/bin/python3 "$here/ddp_baseline.py" --ranks=2 --epochs="$epochs" --seed="$1" --eval_each_epoch \
    >"$work/ddp-$1.log" 2>&1 &
  local launcher=$!
  until grep -q '"impl"' "$work/ddp-$1.log"; do
    kill -0 "$launcher" 2>/dev/null || { cat "$work/ddp-$1.log" >&2; exit 1; }
    sleep 1
  done
  sleep 5
  kill "$launcher" 2>/dev/null || true
  grep '^{"epoch"' "$work/ddp-$1.log" |
    sed -E 's/.*"epoch": ([0-9]+), "time": ([0-9.]+), "test_accuracy": ([0-9.]+).*/\1 \2 \3/' | first_reaching "$start"
}
echo "time to test accuracy $target, resnet20 / Fashion-MNIST, 2 ranks x 1 thread, $epochs epochs, Strobe flags:" \
     "${extra[*]:-(the same recipe)}"
strobe_times=() ddp_times=()
for ((seed = 1; seed <= seeds; ++seed)); do
  read -r s_time s_final <<<"$(strobe_run "$seed")"
  read -r d_time d_final <<<"$(ddp_run "$seed")"
  echo "seed $seed: strobe ${s_time} s (final accuracy $s_final), ddp ${d_time} s (final accuracy $d_final)"
  [[ $s_time != not-reached ]] && strobe_times+=("$s_time")
  [[ $d_time != not-reached ]] && ddp_times+=("$d_time")
done
best() { printf '%s\n' "$@" | sort -g | head -1; }
if [[ ${#strobe_times[@]} -gt 0 && ${#ddp_times[@]} -gt 0 ]]; then
  s=$(best "${strobe_times[@]}"); d=$(best "${ddp_times[@]}")
  awk -v s="$s" -v d="$d" 'BEGIN { printf "best: strobe %.1f s, ddp %.1f s: ddp / strobe = %.2fx\n", s, d, d / s }'
else
  missing=()
  [[ ${#strobe_times[@]} -gt 0 ]] || missing+=(strobe)
  [[ ${#ddp_times[@]} -gt 0 ]] || missing+=(ddp)
  echo "best: the target was not reached by ${missing[*]}"
fi
