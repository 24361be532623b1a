#!/usr/bin/env bash
# A run that diverges keeps its good checkpoints. 2 ranks, checkpoints every 2 steps, keep 3; once step 11 is logged
# the operator writes `lr = 1e30` to RUN_DIR/control (one update makes the weights overflow the next forward pass,
# so the divergence comes at a known step). It is usually applied at step 12, whose checkpoint then holds finite
# weights the runaway LR has ruined, and the override: the first resume from it diverges at its first step and
# sets it aside too, and the next walks back to step 10. The averaged gradients go non-finite; every rank skips
# those updates alike (--max_skipped_steps=3), then the run stops with one error naming the first non-finite step,
# having saved no checkpoint from non-finite weights and set aside every checkpoint from that step on. Retention
# kept the newest checkpoint from before it. --resume=auto continues from before the divergence (again, if the
# checkpoint it picked still carries the runaway LR) until the run finishes with a finite loss.
# Then a checkpoint holding NaN weights, as Strobe 0.2.0 could write: `strobe inspect` rejects it by tensor and
# --resume=auto passes over it to the one before.
# Usage: divergence_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
python=${STROBE_TEST_PYTHON:-/usr/bin/python3}
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
launcher=
trap '[[ -n $launcher ]] && kill -9 $launcher 2>/dev/null; rm -rf "$work"' EXIT
run=$work/run
checkpoints=$run/checkpoints
flags=(train --train_samples=5120 --batch_size=64 --epochs=1 --log_every=1 --eval_samples=500
       --checkpoint_every_steps=2 --keep_checkpoints=3 --max_skipped_steps=3 --run_dir="$run")
committed_steps() { ls "$checkpoints" | sed -n 's/^step-0*\([0-9][0-9]*\)$/\1/p' | sort -n | tr '\n' ' '; }

"$mpiexec" -np 2 "$strobe" "${flags[@]}" >"$work/first.out" 2>&1 &
launcher=$!
until grep -q " step 11/" "$work/first.out" || ! kill -0 $launcher 2>/dev/null; do sleep 0.02; done
echo "lr = 1e30" >"$run/control.new" && mv "$run/control.new" "$run/control"
status=0
wait $launcher || status=$?
launcher=
output=$(cat "$work/first.out")
[[ $status -eq 1 ]] || { echo "$output"; fail "the diverging run exited with $status, expected 1"; }
[[ $(grep -c '^strobe: error:' <<<"$output") -eq 1 ]] || { echo "$output"; fail "expected one error line"; }
diverged='strobe: error: training diverged: the averaged gradients of step [0-9]+ are not finite'
diverged+=' \(4 steps skipped, more than --max_skipped_steps=3; the first was step ([0-9]+)\)'
[[ $output =~ $diverged ]] || { echo "$output"; fail "no divergence error naming the steps"; }
first_bad=${BASH_REMATCH[1]}
applied=$(sed -n 's/.*control applied from step \([0-9]*\).*/\1/p' <<<"$output")
[[ -n $applied && $first_bad -gt $applied ]] \
  || { echo "$output"; fail "first non-finite step $first_bad, control applied at '$applied'"; }
[[ $(grep -c "update skipped on every rank" <<<"$output") -eq 3 ]] || { echo "$output"; fail "expected 3 skip events"; }
grep -q '"kind":"error","step":[0-9]*,"message":"training diverged' "$run/metrics.jsonl" \
  || fail "metrics.jsonl does not record the divergence"
steps=$(committed_steps)
echo "ok: diverged: first non-finite step $first_bad (control applied at step $applied); committed checkpoints: $steps"
for step in $steps; do
  [[ $step -lt $first_bad ]] || fail "checkpoint $step, from step $first_bad on, was not set aside"
  "$strobe" inspect "$checkpoints/$(printf 'step-%09d' "$step")" >/dev/null || fail "checkpoint $step is not valid"
done
newest_before=$(( (first_bad - 1) / 2 * 2 ))
[[ " $steps" == *" $newest_before "* ]] \
  || fail "retention deleted step $newest_before, the newest checkpoint before step $first_bad"
[[ " $steps" == *" 10 "* ]] || fail "retention deleted step 10, the last checkpoint before the LR change"
for aside in "$checkpoints"/*.nonfinite; do
  [[ -e $aside ]] || continue
  aside_step=$(sed 's/.*step-0*\([0-9][0-9]*\)\.nonfinite$/\1/' <<<"$aside")
  [[ $aside_step -ge $first_bad ]] || fail "$aside was set aside, but it is from before step $first_bad"
done

# Each resume starts from before the last divergence; one from a checkpoint that still applies lr = 1e6 diverges
# at once and sets that checkpoint aside too. The checkpoint of step 10 predates the LR change, so this ends.
for attempt in 1 2 3 4 5 6; do
  status=0
  set_aside_before=$(ls -d "$checkpoints"/*.nonfinite 2>/dev/null || true)
  output=$(timeout 240 "$mpiexec" -np 2 "$strobe" "${flags[@]}" --resume=auto 2>&1) || status=$?
  resumed=$(sed -n 's/.*resumed from .*step-0*\([0-9][0-9]*\).*/\1/p' <<<"$output" | head -1)
  [[ -n $resumed && $resumed -lt $first_bad ]] || { echo "$output"; fail "resume $attempt started at '$resumed'"; }
  grep -q "skipped an invalid checkpoint: checkpoint .*\.nonfinite: set aside because training went non-finite" \
    <<<"$output" || [[ -z $set_aside_before ]] \
    || { echo "$output"; fail "resume $attempt does not say which checkpoints it passed over"; }
  echo "ok: resume $attempt from step $resumed exited with $status"
  [[ $status -eq 0 ]] && break
  [[ $status -eq 1 ]] && grep -q "training diverged" <<<"$output" || { echo "$output"; fail "resume $attempt failed"; }
  [[ $output =~ the\ first\ was\ step\ ([0-9]+) ]] && first_bad=${BASH_REMATCH[1]}
done
[[ $status -eq 0 ]] || fail "still diverging after $attempt resumes"
grep -q "^strobe: done: 80 steps, .* test accuracy 0\.[0-9]* (500 images)" <<<"$output" \
  || { echo "$output"; fail "no finished run"; }
echo "ok: the resumed run finished: $(grep '^strobe: done' <<<"$output")"

# A final checkpoint with NaN weights (crafted: Strobe no longer writes one; 0.2.0 did).
last=$(printf 'step-%09d' 80)
cp -r "$checkpoints/$last" "$work/nan"
"$python" - "$work/nan" <<'PY'
import io, sys, zlib, torch
path = sys.argv[1]
state = {name: tensor.detach().clone() for name, tensor in torch.load(path + "/model.pt").items()}
state["fc.weight"][0, 0] = float("nan")
buffer = io.BytesIO()
torch.save(dict(state), buffer)
data = buffer.getvalue()
open(path + "/model.pt", "wb").write(data)
lines = open(path + "/MANIFEST").read().splitlines(keepends=True)[:-1]
lines = ["file model.pt %d %08x\n" % (len(data), zlib.crc32(data)) if l.startswith("file model.pt ") else l
         for l in lines]
text = "".join(lines)
open(path + "/MANIFEST", "w").write(text + "crc32 %08x\n" % zlib.crc32(text.encode()))
PY
status=0
inspected=$("$strobe" inspect "$work/nan" 2>&1) || status=$?
[[ $status -eq 1 ]] || { echo "$inspected"; fail "inspect accepted NaN weights"; }
grep -qF "strobe: error: checkpoint $work/nan: model.pt: 'fc.weight' holds 1 non-finite value(s) (NaN or infinite)" \
  <<<"$inspected" || { echo "$inspected"; fail "inspect does not name the non-finite tensor"; }
rm -rf "$checkpoints/$last" && mv "$work/nan" "$checkpoints/$last"
output=$(timeout 240 "$mpiexec" -np 2 "$strobe" "${flags[@]}" --resume=auto 2>&1) \
  || { echo "$output"; fail "--resume=auto over a NaN checkpoint failed"; }
nan_message="checkpoint $checkpoints/$last: model.pt: 'fc.weight' holds 1 non-finite"
grep -qF "skipped an invalid checkpoint: $nan_message" <<<"$output" \
  || { echo "$output"; fail "--resume=auto does not say it skipped the NaN checkpoint"; }
grep -q "resumed from $checkpoints/step-000000078" <<<"$output" || { echo "$output"; fail "did not resume step 78"; }
grep -qF "strobe: warning: replacing a damaged checkpoint: $nan_message" <<<"$output" \
  || { echo "$output"; fail "the NaN checkpoint of step 80 was not replaced when step 80 was saved again"; }
"$strobe" inspect "$checkpoints/$last" >/dev/null || fail "step 80 is still unusable after the rerun"

# One corrupt sample (--inject_nan_step: a NaN image on the last rank at step 3) is skipped on every rank and leaves
# no trace: BatchNorm's running statistics, which its forward pass changed (on one rank, or with --sync_bn on both),
# are put back, so the evaluation and every checkpoint stay finite; the periodic checkpoint due after the skipped step
# (step 4) is postponed to the next step that updates (step 5), and the run finishes.
for sync in "" --sync_bn; do
  out=$(timeout 240 "$mpiexec" -np 2 "$strobe" train --train_samples=1024 --batch_size=64 --epochs=1 --log_every=4 \
    --eval_samples=500 --checkpoint_every_steps=4 --keep_checkpoints=0 --inject_nan_step=3 $sync \
    --run_dir="$work/nan-batch$sync" 2>&1) ||
    { echo "$out"; fail "a run with one NaN batch ${sync:-without --sync_bn} failed"; }
  grep -q "step 3: the averaged gradients are not finite (this rank's loss [^)]*); update skipped on every rank" \
    <<<"$out" || { echo "$out"; fail "no event for the skipped step"; }
  grep -q "checkpoint at step 4 postponed: its update was skipped" <<<"$out" || { echo "$out"; fail "no postponement"; }
  saved=$(ls "$work/nan-batch$sync/checkpoints" | tr '\n' ' ')
  [[ $saved == "step-000000005 step-000000008 step-000000012 step-000000016 " ]] \
    || { echo "$out"; fail "checkpoints ${sync:-without --sync_bn}: $saved"; }
  accuracy=$(grep -o "test accuracy [0-9.]*" <<<"$out" | tail -1 | awk '{print $3}')
  awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.2) }' || { echo "$out"; fail "accuracy after a NaN batch: $accuracy"; }
  "$strobe" inspect "$work/nan-batch$sync/checkpoints/step-000000005" >/dev/null \
    || fail "the checkpoint after the skipped step holds non-finite values"
  echo "ok: one NaN batch ${sync:-without --sync_bn}: skipped, checkpoint 4 postponed to 5, test accuracy $accuracy"
done
echo "PASS: divergence skipped, stopped, set aside and resumed from before it; NaN checkpoints rejected by name;" \
     "a NaN batch skipped without a trace"
