#!/usr/bin/env bash
# Two runs on one run directory: while a run is live, a second `--resume=auto` on its directory is refused with one
# error line naming the live run's host and pid, and writes nothing there; after the live run is killed (kill -9,
# which leaves its lock file behind), the next run takes the directory over with a warning naming the dead holder,
# and releases the lock when it ends.
# Usage: shared_run_dir_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
first=
trap '[[ -n $first ]] && kill -9 $first 2>/dev/null; rm -rf "$work"' EXIT
run=$work/run
flags=(train --train_samples=60000 --batch_size=256 --epochs=1 --log_every=1 --checkpoint_every_steps=2
       --run_dir="$run")

"$mpiexec" -np 2 "$strobe" "${flags[@]}" >"$work/first.out" 2>&1 &
first=$!
waited=0
until grep -q '"kind":"checkpoint"' "$run/metrics.jsonl" 2>/dev/null; do
  sleep 0.2
  waited=$((waited + 1))
  [[ $waited -lt 600 ]] || { cat "$work/first.out"; fail "the first run saved no checkpoint within 120 s"; }
done
holder=$(cat "$run/lock")
[[ $holder =~ ^host\ $(hostname),\ pid\ ([0-9]+),\ started\ [0-9T:-]+Z$ ]] || fail "lock file holds '$holder'"
holder_pid=${BASH_REMATCH[1]}
[[ $(cat /proc/"$holder_pid"/comm) == strobe ]] || fail "the lock names pid $holder_pid, which is not a strobe rank"

config_before=$(cksum <"$run/config.json")
status=0
second=$(timeout 120 "$mpiexec" -np 2 "$strobe" "${flags[@]}" --resume=auto 2>&1) || status=$?
[[ $status -eq 1 ]] || { echo "$second"; fail "the second run exited with $status, expected 1"; }
[[ $(grep -c '^strobe: error:' <<<"$second") -eq 1 ]] || { echo "$second"; fail "expected one error line"; }
grep -qF "strobe: error: rank 0: --run_dir=$run is in use by another strobe run ($holder); wait for it to end" \
  <<<"$second" \
  || { echo "$second"; fail "the refusal does not name the live run"; }
[[ $(cksum <"$run/config.json") == "$config_before" ]] || fail "the refused run changed config.json"
! grep -q '"kind":"resume"' "$run/metrics.jsonl" || fail "the refused run wrote to metrics.jsonl"
kill -0 "$first" || fail "the first run died while the second was refused"
echo "ok: a second run on a live run directory is refused: $(grep '^strobe: error:' <<<"$second")"

# kill -9 every process of the first run: nothing releases the lock file's contents.
pkill -9 -f -- "--run_dir=$run" || true
wait "$first" 2>/dev/null || true
first=
[[ $(cat "$run/lock") == "$holder" ]] || fail "the killed run's lock file changed"

# The next run takes over; it is stopped through its control file right after it starts.
"$mpiexec" -np 2 "$strobe" "${flags[@]}" --resume=auto >"$work/third.out" 2>&1 &
third=$!
until grep -q "took over the lock" "$work/third.out" 2>/dev/null || ! kill -0 $third 2>/dev/null; do sleep 0.2; done
echo stop >"$run/control.new" && mv "$run/control.new" "$run/control"
status=0
wait "$third" || status=$?
[[ $status -eq 75 ]] || { cat "$work/third.out"; fail "the run after the killed one exited with $status, not 75"; }
grep -qF "strobe: warning: --run_dir=$run: took over the lock of a run that ended without releasing it ($holder)" \
  "$work/third.out" || { cat "$work/third.out"; fail "no warning naming the dead holder"; }
grep -q "resumed from $run/checkpoints/step-" "$work/third.out" || { cat "$work/third.out"; fail "no resume"; }
[[ ! -s $run/lock ]] || fail "the lock file still names a holder after a clean end: $(cat "$run/lock")"
echo "PASS: live run directory refused by name; a killed run's lock taken over with a warning and released at the end"
