#!/usr/bin/env bash
# End to end: --threads=N means N threads per rank compute while training steps run (ATen's intra-op threads,
# OpenMP, oneDNN and Strobe's mixing kernels together), without OMP_NUM_THREADS' help and with the rank free to
# use every core (--bind-to none); Open MPI's and Strobe's helper threads stay idle, except the communication
# thread "strobe-comm" of a multi-rank run, which all-reduces gradient buckets while backward computes. For each
# rank it counts the threads whose CPU time grew by 0.1 s or more over 3 s of training, then stops the run through
# its control file.
# Needs 2 or more cores: exits 77 (skipped) on one.
# Usage: thread_budget_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
source "$(dirname "$0")/lib.sh"
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
[[ $cores -ge 2 ]] || { echo "SKIP: needs 2 or more cores, has $cores"; exit 77; }
work=$(mktemp -d)
launcher=
trap '[[ -n $launcher ]] && kill -9 $launcher 2>/dev/null; rm -rf "$work"' EXIT
ticks_per_s=$(getconf CLK_TCK)

# CPU ticks (user + system) per computing thread of process $1: "TID TICKS" lines; the communication thread's
# ticks go to $2.
thread_ticks() {
  local task
  for task in /proc/"$1"/task/*; do
    if [[ $(cat "$task/comm" 2>/dev/null) == strobe-comm ]]; then
      sed 's/^\([0-9]*\) (.*) /\1 /' "$task/stat" 2>/dev/null | awk '{ print $13 + $14 }' >"$2"
      continue
    fi
    # Fields after the command name, which is in parentheses and may contain spaces: 12 and 13 are utime, stime.
    sed 's/^\([0-9]*\) (.*) /\1 /' "$task/stat" 2>/dev/null | awk '{ print $1, $13 + $14 }'
  done
}

# Starts a run (RANKS THREADS RUN_NAME), waits for its first training step, and writes to $work/RUN_NAME.busy, one
# line per rank process, how many of its threads gained >= 0.1 s of CPU time in the next 3 s; then stops the run and
# checks that it ended well.
busy_threads_per_rank() {
  local ranks=$1 threads=$2 run=$work/$3
  env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT "$mpiexec" -np "$ranks" --bind-to none "$strobe" train \
    --threads="$threads" --batch_size=$((128 * ranks)) --train_samples=60000 --epochs=1 --log_every=1 \
    --mixup_alpha=0.8 --cutmix_alpha=1.0 --label_smoothing=0.1 --run_dir="$run" >"$work/$3.out" 2>&1 &
  launcher=$!
  local waited=0
  until grep -q '"kind":"train"' "$run/metrics.jsonl" 2>/dev/null; do
    sleep 0.2
    waited=$((waited + 1))
    [[ $waited -lt 600 ]] || { cat "$work/$3.out"; fail "$3: no training step within 120 s"; }
  done
  local pids=() pid
  for pid in $(pgrep -f -- "--run_dir=$run"); do
    [[ $(cat /proc/"$pid"/comm 2>/dev/null) == strobe ]] && pids+=("$pid")
  done
  [[ ${#pids[@]} -eq $ranks ]] || fail "$3: found ${#pids[@]} rank processes, expected $ranks"
  for pid in "${pids[@]}"; do rm -f "$work/comm.$pid"; thread_ticks "$pid" "$work/comm.$pid" >"$work/before.$pid"; done
  sleep 3
  for pid in "${pids[@]}"; do
    thread_ticks "$pid" /dev/null >"$work/after.$pid"
    if ((ranks > 1)) && [[ ! -e $work/comm.$pid ]]; then fail "$3: rank process $pid has no strobe-comm thread"; fi
    if ((ranks == 1)) && [[ -e $work/comm.$pid ]]; then fail "$3: a one-rank run started a strobe-comm thread"; fi
    grep -q '"kind":"eval"' "$run/metrics.jsonl" && fail "$3: the window reached the evaluation; train longer"
    awk -v min=$((ticks_per_s / 10)) 'NR == FNR { before[$1] = $2; next }
                                      $2 - before[$1] >= min { busy++ } END { print busy + 0 }' \
      "$work/before.$pid" "$work/after.$pid" >>"$work/$3.busy"
  done
  echo stop >"$run/control.new" && mv "$run/control.new" "$run/control"
  local rc=0
  wait "$launcher" || rc=$?
  [[ $rc -eq 75 ]] || { cat "$work/$3.out"; fail "$3: stopped through its control file, it exited with $rc, not 75"; }
  launcher=
}

busy_threads_per_rank 2 1 one_thread
[[ $(cat "$work/one_thread.busy") == $'1\n1' ]] \
  || fail "--threads=1, 2 ranks: busy threads per rank were $(echo $(cat "$work/one_thread.busy")), expected 1 and 1"
busy_threads_per_rank 1 2 two_threads
[[ $(cat "$work/two_threads.busy") == 2 ]] \
  || fail "--threads=2, 1 rank: $(cat "$work/two_threads.busy") busy threads, expected 2"
echo "PASS: --threads=1 keeps each of 2 ranks to 1 busy thread; --threads=2 uses 2"
