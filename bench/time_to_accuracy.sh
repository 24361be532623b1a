#!/usr/bin/env bash
# Time to a test accuracy on Fashion-MNIST: Strobe against the PyTorch DDP reference (bench/ddp_baseline.py, gloo),
# resnet20, 2 ranks of one thread under mpirun's default binding, the same recipe on both sides unless STROBE_FLAGS
# or DDP_FLAGS add to it (SGD, Nesterov, global batch 128, LR 0.1 x 128/256, warmup 0.5 epochs, cosine over EPOCHS),
# an evaluation of the whole test set after every epoch, runs alternating per seed. STROBE_ACCURACY=ema_test_accuracy
# reads Strobe's EMA weights (with --ema_decay). For each run: the wall-clock seconds from launch to the end of the
# first epoch whose evaluation reached TARGET ("not-reached" otherwise; a run is stopped once it reached it), and the
# last accuracy read; then the best of the seeds on each side and their ratio. SIDES=strobe (or ddp) runs one side;
# FIRST_SEED=K starts at seed K (to add seeds to an earlier run). STROBE_FLAGS come after the script's own flags and
# win over them, a flag file's included: with deploy/recipes/fashion_mnist_fast.flags its --epochs=12 is the schedule
# length whatever EPOCHS says; put --epochs=N after the --flagfile to change it.
# Usage: [STROBE_FLAGS=...] [DDP_FLAGS=...] [SIDES=...] bench/time_to_accuracy.sh [BUILD_DIR] [TARGET] [EPOCHS] [SEEDS]
#   e.g. build 0.93 12 3
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
read -r -a ddp_extra <<<"${DDP_FLAGS:-}"
field=${STROBE_ACCURACY:-test_accuracy}  # ema_test_accuracy: the EMA weights' accuracy (with --ema_decay)
# "SECONDS_TO_TARGET LAST_ACCURACY" from lines "EPOCH TIME ACCURACY" after launch time $1.
first_reaching() { awk -v start="$1" -v t="$target" '{ last = $3 } !done && $3 >= t { s = $2 - start; done = 1 }
                   END { printf "%s %s\n", done ? sprintf("%.1f", s) : "not-reached", last }'; }
# Each side: its launch command for a seed (into the array `launch`), its evaluations so far as lines
# "EPOCH TIME ACCURACY", and the line its log ends with.
strobe_command() {  # SEED
  launch=(mpirun -np 2 "$build/strobe" train --epochs="$epochs" --batch_size=128 --threads=1 --seed="$1"
           --log_every=1000 --run_dir="$work/strobe-$1" "${extra[@]}")
}
strobe_evals() {  # SEED
  grep -s '"kind":"eval"' "$work/strobe-$1/metrics.jsonl" |
    sed -E "s/.*\"epoch\":([0-9]+).*\"$field\":([0-9.]+).*\"time\":([0-9.]+).*/\1 \3 \2/"
}
ddp_command() {  # SEED
  launch=(mpirun -np 2 /usr/bin/python3 "$here/ddp_baseline.py" --ranks=2 --epochs="$epochs" --seed="$1"
           --eval_each_epoch "${ddp_extra[@]}")
}
ddp_evals() {  # SEED
  grep -s '^{"epoch"' "$work/ddp-$1.log" |
    sed -E 's/.*"epoch": ([0-9]+), "time": ([0-9.]+), "test_accuracy": ([0-9.]+).*/\1 \2 \3/'
}
# A gloo rank once kept spinning after DDP's last line (2026-12-05): that line, not its exit, ends a DDP run.
declare -A last_line=([strobe]='^strobe: done:' [ddp]='"impl"')
# Runs SIDE's job for SEED in its own process group until it reaches the target, which fixes its time (the epochs
# after it cannot change it, so the job is stopped there), or prints its last line, or ends; then, and after a
# Ctrl-C, no process of the job is left. Prints "SECONDS_TO_TARGET LAST_ACCURACY".
timed_run() {  # SIDE SEED
  local side=$1 seed=$2 log=$work/$1-$2.log start job
  "${side}_command" "$seed"
  start=$(date +%s.%N)
  setsid "${launch[@]}" >"$log" 2>&1 &
  job=$!
  # Its own session does not see a Ctrl-C: take it along.
  trap "kill -KILL -- -$job 2>/dev/null; exit 130" INT TERM
  while kill -0 "$job" 2>/dev/null && ! grep -q "${last_line[$side]}" "$log"; do
    "${side}_evals" "$seed" | awk -v t="$target" '$3 >= t { found = 1 } END { exit !found }' && break
    sleep 1
  done
  kill -TERM -- "-$job" 2>/dev/null || true
  for _ in $(seq 20); do kill -0 -- "-$job" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$job" 2>/dev/null || true
  wait "$job" 2>/dev/null || true
  [[ -n $("${side}_evals" "$seed") ]] || { cat "$log" >&2; exit 1; }
  "${side}_evals" "$seed" | first_reaching "$start"
}
echo "time to test accuracy $target, resnet20 / Fashion-MNIST, 2 ranks x 1 thread, $epochs epochs; Strobe flags:" \
     "${extra[*]:-(the same recipe)}, reading $field; DDP flags: ${ddp_extra[*]:-(none)}"
sides=${SIDES:-strobe ddp}
declare -A times=([strobe]="" [ddp]="")
for ((seed = ${FIRST_SEED:-1}; seed <= seeds; ++seed)); do
  for side in $sides; do
    read -r seconds last <<<"$(timed_run "$side" "$seed")"
    [[ -n $seconds ]] || exit 1  # timed_run printed why
    echo "seed $seed: $side $seconds s (last accuracy read $last); by epoch:" \
         "$("${side}_evals" "$seed" | awk '{ printf "%s ", $3 }')"
    [[ $seconds != not-reached ]] && times[$side]+="$seconds "
  done
done
best() { printf '%s\n' $1 | sort -g | head -1; }
for side in $sides; do
  echo "best $side: $([[ -n ${times[$side]} ]] && echo "$(best "${times[$side]}") s" || echo "target not reached")"
done
if [[ -n ${times[strobe]} && -n ${times[ddp]} ]]; then
  awk -v s="$(best "${times[strobe]}")" -v d="$(best "${times[ddp]}")" \
    'BEGIN { printf "ddp / strobe = %.2fx\n", d / s }'
fi
