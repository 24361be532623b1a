#!/usr/bin/env bash
# Checkpoints written by an earlier Strobe resume exactly. tests/e2e/fixtures/checkpoint_0.2.0 holds step 10 of the
# run below as Strobe 0.2.0 (before the options refactor) wrote it: mid-epoch, with CutMix + Mixup, the
# previous-batch partner buffer, label smoothing and a plateau schedule whose counters are under way; and the file
# table of the final checkpoint (step 48) that 0.2.0 reached when it resumed that checkpoint.
#  1. Restored and saved again at once (a control file asks for a stop before the first step), every file of the
#     checkpoint is bitwise the same and so is the LR controller's state: nothing is lost or reinterpreted.
#  2. Resumed to the end, the final checkpoint is bitwise 0.2.0's: model, momentum and every rank's state.
# Usage: checkpoint_compat_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
fixture=$(dirname "$0")/fixtures/checkpoint_0.2.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
# The flags the fixture's run was started with.
common=(train --data="$data" --train_samples=1024 --batch_size=64 --epochs=3 --log_every=3
        --checkpoint_every_steps=10 --keep_checkpoints=0 --mixup_alpha=0.2 --cutmix_alpha=1.0
        --mix_partners=previous --plateau_metric=train_loss --plateau_patience=2 --eval_samples=500
        --eval_batch=250 --label_smoothing=0.1 --resume="$fixture/step-000000010")
state_of() { grep -E '^(file |lr\.)' "$1/MANIFEST"; }

mkdir "$work/again"
echo stop >"$work/again/control"
code=0
timeout 300 "$mpiexec" -np 2 "$strobe" "${common[@]}" --run_dir="$work/again" >"$work/again.log" 2>&1 || code=$?
[[ $code -eq 75 ]] || { cat "$work/again.log"; fail "the stop request should end the run with 75, got $code"; }
diff <(state_of "$fixture/step-000000010") <(state_of "$work/again/checkpoints/step-000000010") ||
  fail "the 0.2.0 checkpoint, restored and saved again, differs"
echo "ok: a 0.2.0 checkpoint restores and saves again bitwise unchanged (files and LR-controller state)"

timeout 300 "$mpiexec" -np 2 "$strobe" "${common[@]}" --run_dir="$work/end" >"$work/end.log" 2>&1 ||
  { cat "$work/end.log"; fail "resuming the 0.2.0 checkpoint failed"; }
grep -q "resumed from .*step-000000010: step 10, epoch 1, 640 samples" "$work/end.log" || fail "no resume line"
diff "$fixture/step-000000048.files" <(grep '^file ' "$work/end/checkpoints/step-000000048/MANIFEST") ||
  fail "resumed from the 0.2.0 checkpoint, the final state differs from 0.2.0's continuation"
echo "ok: resumed to the end, the final checkpoint is bitwise 0.2.0's"
