#!/usr/bin/env bash
# Crash safety: a 2-rank job that checkpoints every step is killed with SIGKILL (every process, no warning) at a
# random moment, 12 times in a row, each time relaunched with --resume=auto in the same run directory. After every
# kill each committed checkpoint must verify (a kill during a write leaves only a step-N.partial, never a torn
# step-N), and every relaunch after the first checkpoint must resume from the newest one and make progress.
# Usage: checkpoint_crash_test.sh STROBE_BINARY MPIEXEC [TRIALS]
set -euo pipefail
strobe=$1
mpiexec=$2
trials=${3:-12}
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
work=$(mktemp -d)
trap 'pkill -9 -f -- "--run_dir=$work/" 2>/dev/null || true; rm -rf "$work"' EXIT
run_dir=$work/run
source "$(dirname "$0")/lib.sh"
newest_step() {  # the newest committed checkpoint's step, or -1
  local newest
  newest=$(ls "$run_dir/checkpoints" 2>/dev/null | grep -E '^step-[0-9]+$' | sort | tail -1)
  [[ -n $newest ]] && echo $((10#${newest#step-})) || echo -1
}
torn_kills=0
for trial in $(seq "$trials"); do
  before=$(newest_step)
  timeout 120 "$mpiexec" -np 2 "$strobe" train --data="$data" --train_samples=1024 --batch_size=64 --epochs=100 \
    --eval_samples=200 --log_every=1 --checkpoint_every_steps=1 --keep_checkpoints=2 --resume=auto \
    --run_dir="$run_dir" >"$work/trial$trial.log" 2>&1 &
  launcher=$!
  # Kill at a random moment once this launch has committed at least one checkpoint of its own.
  for _ in $(seq 300); do
    (( $(newest_step) > before )) && break
    sleep 0.05
  done
  sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
  launched_mpirun=$(pgrep -P "$launcher" || true)
  kill -9 $(pgrep -P "$launched_mpirun" || true) $launched_mpirun 2>/dev/null || true
  wait "$launcher" || true
  if ls "$run_dir/checkpoints" | grep -q '\.partial$'; then torn_kills=$((torn_kills + 1)); fi
  if (( before >= 0 )); then
    grep -q "resumed from $run_dir/checkpoints/step-0*$before:" "$work/trial$trial.log" \
      || { cat "$work/trial$trial.log"; fail "trial $trial did not resume from step $before"; }
  fi
  (( $(newest_step) > before )) || { cat "$work/trial$trial.log"; fail "trial $trial made no progress"; }
  for checkpoint in "$run_dir"/checkpoints/step-*; do
    [[ $checkpoint == *.partial || $checkpoint == *.deleted ]] && continue
    "$strobe" inspect "$checkpoint" >/dev/null 2>"$work/inspect.err" \
      || { cat "$work/inspect.err"; fail "trial $trial left an invalid committed checkpoint $checkpoint"; }
  done
done
echo "PASS: $trials SIGKILLs ($torn_kills left a half-written step-N.partial behind); every committed checkpoint" \
     "verified and every relaunch resumed from the newest one (last: step $(newest_step))"
