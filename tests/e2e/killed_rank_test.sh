#!/usr/bin/env bash
# A rank that dies (kill -9, as the out-of-memory killer does) is named by Strobe, not only by the launcher: 2 ranks;
# once training runs, rank 0 (the coordinator) is killed. mpirun then ends rank 1, which is waiting for it in a
# collective, with SIGTERM and SIGKILL 1 s later; before that, rank 1 prints one error line naming rank 0, its pid
# and its last step and phase, and metrics.jsonl records it. No process of the job survives, and --resume=auto
# continues from the last checkpoint, taking over the lock rank 0 left behind.
# Usage: killed_rank_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
launcher=
cleanup() {
  [[ -n $launcher ]] && kill -9 "$launcher" 2>/dev/null
  pkill -9 -f -- "--run_dir=$work/run" || true
  rm -rf "$work"
}
trap cleanup EXIT
run=$work/run
flags=(train --train_samples=60000 --batch_size=128 --epochs=1 --log_every=1 --checkpoint_every_steps=5
       --stall_timeout_s=30 --run_dir="$run")

launch_until_checkpoint "$run" 10
rank0=$(rank_pid "$run" 0)
[[ -n $rank0 ]] || fail "rank 0's process not found"
kill -9 "$rank0"
killed=$(date +%s)
status=0
timeout 30 tail --pid=$launcher -f /dev/null || fail "the job still runs 30 s after rank 0 was killed"
wait $launcher || status=$?
launcher=
seconds=$(( $(date +%s) - killed ))
output=$(cat "$work/out")
[[ $status -ne 0 ]] || { echo "$output"; fail "the job with a killed rank exited with 0"; }
[[ $(grep -c '^strobe: error:' <<<"$output") -eq 1 ]] || { echo "$output"; fail "expected one strobe: error line"; }
pattern="^strobe: error: rank 0 \(host $(hostname), pid $rank0; its last heartbeat, [0-9]+ s old: step [0-9]+, "
pattern+="[a-z/ -]+\) ended while the job ran, and the launcher is ending the job: rank 1 on $(hostname) waited for "
pattern+="it in (all-reduce|collective) at step [0-9]+ for [0-9.]+ s\. Why it ended is in its own output or this "
pattern+="host's kernel log \(out of memory\?\)\. Continue the job with --resume=auto$"
grep -Eq "$pattern" <<<"$output" || { echo "$output"; fail "the error line does not name rank 0 as expected"; }
grep -q '"kind":"rank_lost".*rank 0 (host' "$run/metrics.jsonl" || fail "metrics.jsonl does not record the lost rank"
expect_no_survivors "$run"
echo "ok: mpirun exited with $status after $seconds s: $(grep '^strobe: error:' <<<"$output" | cut -c1-160)..."

expect_resume_continues "$run"
grep -q "took over the lock of a run that ended without releasing it" <<<"$resumed" ||
  { echo "$resumed"; fail "the resumed run did not say it took over rank 0's lock"; }
echo "PASS: a killed rank 0 was named by rank 1 before mpirun ended the job; --resume=auto continues"
