#!/usr/bin/env bash
# Built-in ResNets and the PyTorch ecosystem exchange weights as they are (needs /usr/bin/python3 with Debian's
# torch and torchvision; skipped, exit 77, without them):
#  - `strobe export` of resnet18 (2 ranks), resnet50 and resnet20 checkpoints loads with strict=True into
#    torchvision's resnet18/resnet50 (deploy/models/strobe_resnet.py's resnet20), whose logits on a fixed batch
#    equal Strobe's for the same checkpoint within 1e-4;
#  - a torchvision state_dict read by Strobe's --init_weights loader gives torchvision's logits;
#  - torchvision's RGB 1000-class resnet18 weights, saved as torchvision publishes them (an OrderedDict) and made
#    1-channel by deploy/models/plain_state_dict.py, fine-tune on 10 classes with --init_exclude=fc: every rank
#    reports the backbone's CRC-32 as Python computes it, and training runs;
#  - a classifier of another size without --init_exclude, an OrderedDict, a renamed tensor, an --init_exclude that
#    names nothing and --init_exclude without --init_weights are each one clear error.
# Usage: torchvision_interchange_test.sh STROBE_BINARY MODEL_LOGITS_TOOL MPIEXEC
set -euo pipefail
strobe=$1
tool=$2
mpiexec=$3
here=$(dirname "$0")
source "$here/lib.sh"
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null ||
  { echo "SKIP: no torchvision for /usr/bin/python3"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python() { /usr/bin/python3 "$here/torchvision_interchange.py" "$@"; }
train=(train --epochs=1 --eval_samples=64 --log_every=100000 --lr=0.05)

newest_checkpoint() { ls -d "$1"/checkpoints/step-* | tail -1; }

export_and_check() {  # MODEL RANKS SAMPLES BATCH
  local run=$work/run-$1 out
  "$mpiexec" -np "$2" "$strobe" "${train[@]}" --model="$1" --train_samples="$3" --batch_size="$4" \
    --run_dir="$run" >"$work/out" 2>&1 || { cat "$work/out"; fail "training $1 failed"; }
  out=$("$strobe" export "$(newest_checkpoint "$run")" "$work/$1.pt") || { echo "$out"; fail "export of $1 failed"; }
  echo "$out"
  python export-check "$1" "$(newest_checkpoint "$run")" "$work/$1.pt" "$tool" "$work"
}
export_and_check resnet18 2 128 64
grep -q "with torchvision's names; in Python: torchvision.models.resnet18(num_classes=N).load_state_dict" \
  <<<"$("$strobe" export "$(newest_checkpoint "$work/run-resnet18")" "$work/again.pt")" ||
  fail "export does not say how to load a resnet18 export"
export_and_check resnet50 1 16 16
export_and_check resnet20 1 64 32
python import-check "$tool" "$work"

python make-published "$work/published.pt"
/usr/bin/python3 "$here/../../deploy/models/plain_state_dict.py" "$work/published.pt" "$work/backbone.pt" \
  --in_channels=1 || fail "plain_state_dict.py failed"
crc=$(python crc "$work/backbone.pt")
python rename "$work/backbone.pt" "$work/renamed.pt" layer1.0.conv1.weight layer1.0.conv9.weight
status=0
out=$("$mpiexec" -np 2 "$strobe" "${train[@]}" --model=resnet18 --train_samples=128 --batch_size=64 \
      --init_weights="$work/backbone.pt" --init_exclude=fc --run_dir="$work/finetune" 2>&1) || status=$?
[[ $status -eq 0 ]] || { echo "$out"; fail "fine-tuning from the backbone exited with $status"; }
expected="strobe: initial weights from $work/backbone.pt: 120 tensors, 11179860 values (torchvision's names), "
expected+="CRC-32 $crc on every rank; kept at their initialisation: fc.weight, fc.bias"
grep -qxF "$expected" <<<"$out" || { echo "$out"; fail "expected the line: $expected"; }
grep -q '^strobe: done: ' <<<"$out" || { echo "$out"; fail "the fine-tuning run did not finish"; }
echo "ok: fine-tuning starts from the backbone (CRC-32 $crc on every rank)"

# expect_error EXIT_CODE MESSAGE FLAGS...: the run fails with EXIT_CODE and one line containing MESSAGE, before it
# creates its run directory.
expect_error() {
  local code=$1 message=$2 status=0 out
  shift 2
  rm -rf "$work/bad"
  out=$("$mpiexec" -np 2 "$strobe" "${train[@]}" --model=resnet18 --train_samples=128 --batch_size=64 \
        --run_dir="$work/bad" "$@" 2>&1) || status=$?
  [[ $status -eq $code ]] || { echo "$out"; fail "expected exit $code for $*, got $status"; }
  [[ $(grep -c '^strobe: error: ' <<<"$out") -eq 1 ]] || { echo "$out"; fail "expected one error line for $*"; }
  grep -qF -- "$message" <<<"$out" || { echo "$out"; fail "expected '$message' for $*"; }
  [[ ! -e $work/bad ]] || fail "the failed start ($*) left its run directory behind"
  echo "ok: $(grep '^strobe: error: ' <<<"$out" | cut -c1-200)"
}
expect_error 1 "does not fit --model=resnet18 (read with torchvision's names): 2 of another shape or type: fc.weight \
(the file's Float[1000, 512], the model's Float[10, 512]), fc.bias (the file's Float[1000], the model's Float[10]) \
(--init_exclude=fc starts the classifier afresh, for another number of classes)" --init_weights="$work/backbone.pt"
expect_error 1 "holds an OrderedDict (what torch.save(model.state_dict(), path) writes), which LibTorch cannot read; \
save it as a plain dict: torch.save(dict(model.state_dict()), path), or convert the file with \
deploy/models/plain_state_dict.py" --init_weights="$work/published.pt" --init_exclude=fc
expect_error 1 "1 missing: layer1.0.conv1.weight; 1 unexpected: layer1.0.conv9.weight" \
  --init_weights="$work/renamed.pt" --init_exclude=fc
expect_error 1 "--init_exclude names no tensor of the model: head" --init_weights="$work/backbone.pt" \
  --init_exclude=fc,head
expect_error 2 "--init_exclude=fc needs --init_weights" --init_exclude=fc
expect_error 1 "--init_weights: $work/none.pt: No such file or directory" --init_weights="$work/none.pt"
echo "PASS: exports load into torchvision with equal logits, torchvision weights load into Strobe, fine-tuning starts \
from the backbone, and bad weight files are clear errors"
