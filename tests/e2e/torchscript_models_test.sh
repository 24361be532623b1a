#!/usr/bin/env bash
# Models users bring as TorchScript files (deploy/models/script_model.py; needs /usr/bin/python3 with Debian's torch
# and torchvision, skipped with exit 77 without them):
#  1. scripted torchvision resnet18 and mobilenet_v3_small train on a JPEG image folder at 2 ranks: the loss falls
#     and the weights end identical on both ranks; 14 of resnet18's BatchNorm + ReLU pairs run fused;
#  2. a run killed mid-way resumes (--resume=auto, the model file now at another path) to a final checkpoint
#     bitwise equal to the straight run's; the straight run's earliest kept checkpoint resumes on 1 rank; a traced
#     model trains too;
#  3. `strobe export` writes the trained module: Python's torch.jit.load gives Strobe's logits within 1e-5, and
#     `strobe eval` of the export gives the checkpoint's and the training run's accuracy; the state_dict export
#     loads (strict) into the scripted file training started from and gives the same logits;
#  4. `strobe eval` of the 10000 test images at 1 and 3 ranks: identical top-1 and top-5, a per-class JSON file that
#     adds up, never written over an existing file;
#  5. each model Strobe cannot train is one clear error, exit 2, with no run directory left behind;
#  --sync_bn finds and synchronises every BatchNorm layer of a scripted resnet18 (2 also trains it, and its first
#  step at 2 ranks x 32 gives the loss of 1 rank x 64).
# Usage: torchscript_models_test.sh STROBE_BINARY MODEL_LOGITS_TOOL MPIEXEC
set -euo pipefail
strobe=$1
tool=$2
mpiexec=$3
here=$(dirname "$0")
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
source "$here/lib.sh"
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null ||
  { echo "SKIP: no torchvision for /usr/bin/python3"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py() { /usr/bin/python3 "$here/torchscript_check.py" "$@"; }
script_model() { /usr/bin/python3 "$here/../../deploy/models/script_model.py" "$@" >/dev/null; }
# The training loss of each report of run directory $1, in order.
losses() { grep '"kind":"train"' "$1/metrics.jsonl" | sed 's/.*"loss":\([^,}]*\).*/\1/'; }

# 1. A JPEG image folder (RGB, 32x32), two scripted torchvision models.
"$strobe" make-image-folder "$work/fm" --data="$data" --train_samples=1024 --eval_samples=256 \
  --folder_image_size=32 >/dev/null
for model in resnet18 mobilenet_v3_small; do
  script_model "$model" --num_classes=10 --in_channels=3 --output="$work/$model.pt"
  out=$(timeout 300 "$mpiexec" -np 2 "$strobe" train --data="$work/fm" --model="$work/$model.pt" --image_size=32 \
    --val_resize=32 --crop_scale_min=1 --epochs=3 --batch_size=64 --lr=0.2 --eval_samples=256 --log_every=8 \
    --progress=lines --run_dir="$work/folder-$model" 2>&1) || { echo "$out"; fail "$model: training exited with $?"; }
  grep -q "^strobe: model $work/$model.pt: TorchScript, .* CRC-32 [0-9a-f]* on every rank" <<<"$out" ||
    { echo "$out"; fail "$model: no TorchScript model line"; }
  grep -q "^strobe: weights identical on all 2 ranks" <<<"$out" || { echo "$out"; fail "$model: weights differ"; }
  # The stem's and every block's BatchNorm + ReLU but the last of the 3 downsampling blocks (docs/models.md).
  [[ $model != resnet18 ]] || grep -q "^strobe: 14 BatchNorm + ReLU pairs of $work/$model.pt's forward run fused" \
    <<<"$out" || { echo "$out"; fail "$model: not 14 BatchNorm + ReLU pairs fused"; }
  first=$(losses "$work/folder-$model" | head -1)
  last=$(losses "$work/folder-$model" | tail -1)
  awk -v f="$first" -v l="$last" 'BEGIN { exit !(l < 0.8 * f) }' ||
    { echo "$out"; fail "$model: the loss did not fall (first report $first, last $last)"; }
  echo "ok: scripted $model on a JPEG folder, 2 ranks: loss $first -> $last, weights identical"
done

# 2. Killed and resumed, bitwise: resnet18 for 1-channel Fashion-MNIST, 8 steps per epoch.
script_model resnet18 --num_classes=10 --in_channels=1 --output="$work/r18.pt"
flags=(train --data="$data" --model="$work/r18.pt" --train_samples=512 --batch_size=64 --epochs=2 --lr=0.2
       --checkpoint_every_steps=4 --keep_checkpoints=2 --eval_samples=500 --log_every=4 --progress=lines)
final=checkpoints/step-000000016
straight=$(timeout 300 "$mpiexec" -np 2 "$strobe" "${flags[@]}" --run_dir="$work/A" 2>&1) ||
  { echo "$straight"; fail "the straight run exited with $?"; }
flags+=(--run_dir="$work/B")
launch_until_checkpoint "$work/B" 8
kill -9 "$(rank_pid "$work/B" 1)"
wait "$launcher" 2>/dev/null || true
[[ ! -d $work/B/$final ]] || fail "the killed run got to its end"
mkdir "$work/elsewhere" && cp "$work/r18.pt" "$work/elsewhere/r18.pt"
resumed=$(timeout 300 "$mpiexec" -np 2 "$strobe" "${flags[@]}" --model="$work/elsewhere/r18.pt" --resume=auto 2>&1) ||
  { echo "$resumed"; fail "the resumed run exited with $?"; }
grep -q "resumed from $work/B/checkpoints/step-0000000[01][0-9]" <<<"$resumed" || { echo "$resumed"; fail "no resume"; }
diff <(grep '^file ' "$work/A/$final/MANIFEST") <(grep '^file ' "$work/B/$final/MANIFEST") ||
  fail "the resumed run's final checkpoint differs from the straight run's"
echo "ok: killed at step 8+ and resumed with the model file elsewhere: final checkpoint bitwise the straight run's"
earliest=$(ls -d "$work"/A/checkpoints/step-* | head -1)
elastic=$(timeout 300 "$strobe" "${flags[@]}" --run_dir="$work/W1" --resume="$earliest" 2>&1) ||
  { echo "$elastic"; fail "resuming on 1 rank exited with $?"; }
grep -q "world size 2 -> 1" <<<"$elastic" && [[ -d $work/W1/$final ]] ||
  { echo "$elastic"; fail "no world-size change or no final checkpoint on 1 rank"; }
py traced "$work/traced.pt"
out=$(timeout 300 "$mpiexec" -np 2 "$strobe" "${flags[@]}" --model="$work/traced.pt" --epochs=1 --keep_checkpoints=1 \
  --run_dir="$work/traced" 2>&1) || { echo "$out"; fail "the traced model's run exited with $?"; }
grep -q "^strobe: weights identical on all 2 ranks" <<<"$out" || { echo "$out"; fail "traced: weights differ"; }
echo "ok: a mid-run checkpoint of a scripted model resumes on 1 rank; a traced model trains on 2"
out=$(timeout 300 "$mpiexec" -np 2 "$strobe" "${flags[@]}" --epochs=1 --keep_checkpoints=1 --sync_bn \
  --run_dir="$work/sync_bn" 2>&1) || { echo "$out"; fail "--sync_bn with a scripted resnet18 exited with $?"; }
grep -q "^strobe: --sync_bn: 20 BatchNorm layers normalise with the batch statistics of all 2 ranks" <<<"$out" &&
  grep -q "^strobe: weights identical on all 2 ranks" <<<"$out" ||
  { echo "$out"; fail "--sync_bn did not synchronise the 20 BatchNorm layers of torchvision's resnet18"; }
# One step of 64 images: with --sync_bn, 2 ranks x 32 compute the loss 1 rank x 64 does (9e-8 apart; without it
# 1.2e-3).
one_step=("${flags[@]}" --train_samples=64 --epochs=1 --log_every=1 --checkpoint_every_steps=0)
timeout 300 "$strobe" "${one_step[@]}" --run_dir="$work/step-1rank" >/dev/null 2>&1 || fail "the 1-rank step failed"
timeout 300 "$mpiexec" -np 2 "$strobe" "${one_step[@]}" --sync_bn --run_dir="$work/step-sync" >/dev/null 2>&1 ||
  fail "the 2-rank --sync_bn step failed"
one=$(losses "$work/step-1rank" | head -1)
synced=$(losses "$work/step-sync" | head -1)
awk -v a="$one" -v b="$synced" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && d / a < 1e-5) }' ||
  fail "--sync_bn: the first step's loss at 2 ranks x 32 is $synced, at 1 rank x 64 $one"
echo "ok: --sync_bn synchronises all 20 BatchNorm layers of a scripted torchvision resnet18; its first step's loss" \
     "at 2 ranks x 32 is 1 rank x 64's ($synced, $one)"

# 3. Exports.
out=$("$strobe" export "$work/A/$final" "$work/exported.pt") || { echo "$out"; fail "export failed"; }
grep -q "(TorchScript, .*) from .*; in Python: model = torch.jit.load('$work/exported.pt')" <<<"$out" ||
  { echo "$out"; fail "export does not say how to load it"; }
py export-check "$work/exported.pt" "$work/A/$final" "$tool" "$work" 1 28
"$strobe" export --format=state_dict "$work/A/$final" "$work/state_dict.pt" >/dev/null
py state-dict-check "$work/r18.pt" "$work/state_dict.pt" "$work/exported.pt" 1 28
accuracy_of() { sed -n 's/^strobe: eval of .*: \([0-9]*\) images on [0-9]* rank(s), \(top-1 [0-9.]*, top-5 [0-9.]*\).*/\1 \2/p' <<<"$1"; }
# The run's --train_samples: Fashion-MNIST is normalised by the statistics of the training images used.
status=0
err=$("$strobe" eval --model="$work/A/$final" 2>&1) || status=$?
[[ $status -eq 2 ]] && grep -qF "was trained with --train_samples=512, whose images' statistics normalise its inputs: pass --train_samples=512" <<<"$err" ||
  { echo "$err"; fail "eval with another normalisation than the run's: exit $status"; }
of_export=$(accuracy_of "$("$strobe" eval --model="$work/exported.pt" --train_samples=512 --eval_samples=500)")
of_checkpoint=$(accuracy_of "$("$strobe" eval --model="$work/A/$final" --train_samples=512 --eval_samples=500)")
trained=$(sed -n 's/^strobe: done: .* test accuracy \([0-9.]*\) (500 images)$/\1/p' <<<"$straight")
[[ -n $of_export && $of_export == "$of_checkpoint" && $of_export == "500 top-1 $trained, "* ]] ||
  fail "accuracy: export '$of_export', checkpoint '$of_checkpoint', training run's $trained"
echo "ok: export: torch.jit.load gives Strobe's logits; eval of the export = of the checkpoint = training's ($trained)"

# 4. strobe eval at 1 and 3 ranks.
one=$("$strobe" eval --model="$work/A/$final" --train_samples=512 --output="$work/eval1.json") || { echo "$one"; fail "eval exited $?"; }
three=$(timeout 300 "$mpiexec" -np 3 "$strobe" eval --model="$work/A/$final" --train_samples=512 \
  --output="$work/eval3.json" 2>&1) ||
  { echo "$three"; fail "eval on 3 ranks exited with $?"; }
[[ -n $(accuracy_of "$one") && $(accuracy_of "$one") == "$(accuracy_of "$three")" ]] ||
  fail "1 rank: $(accuracy_of "$one"); 3 ranks: $(accuracy_of "$three")"
[[ $(accuracy_of "$one") == "10000 top-1 "* ]] || fail "not all 10000 test images: $(accuracy_of "$one")"
top1=$(accuracy_of "$one" | sed 's/.*top-1 \([0-9.]*\),.*/\1/')
py eval-json-check "$work/eval1.json" 10000 "$top1"
cmp -s <(sed 's/,"per_class".*//' "$work/eval1.json") <(sed 's/,"per_class".*//' "$work/eval3.json") ||
  fail "the JSON of 1 and 3 ranks differ: $(head -c 300 "$work/eval1.json") vs $(head -c 300 "$work/eval3.json")"
cp "$work/eval1.json" "$work/before.json"
status=0
err=$("$strobe" eval --model="$work/A/$final" --train_samples=512 --output="$work/eval1.json" 2>&1) || status=$?
[[ $status -eq 2 ]] && grep -q "eval1.json" <<<"$err" && cmp -s "$work/eval1.json" "$work/before.json" ||
  { echo "$err"; fail "eval over an existing --output: exit $status (expected 2, file untouched)"; }
echo "ok: strobe eval at 1 and 3 ranks: $(accuracy_of "$one") on both; per-class JSON adds up; no overwrite"

# 5. Models Strobe cannot train: one line each, exit 2, nothing created.
expect_refused() {  # MESSAGE MODEL [flags...]
  local message=$1 model=$2 status=0 out
  shift 2
  out=$(timeout 120 "$mpiexec" -np 2 "$strobe" train --data="$data" --model="$model" --run_dir="$work/refused" "$@" \
    2>&1) || status=$?
  [[ $status -eq 2 ]] || { echo "$out"; fail "--model=$model: exit $status, expected 2"; }
  grep -qF -- "$message" <<<"$out" || { echo "$out"; fail "--model=$model: no '$message'"; }
  [[ $(grep -c "strobe: error:" <<<"$out") -eq 1 ]] || { echo "$out"; fail "--model=$model: not one error line"; }
  [[ ! -e $work/refused ]] || fail "--model=$model left a run directory"
}
for kind in state_dict frozen integer; do py bad-model "$kind" "$work/bad-$kind.pt"; done
expect_refused "is not a TorchScript module: it is a torch.save archive without TorchScript code (a pickled model or tensors); save a TorchScript module in Python instead: torch.jit.script(model).save(PATH)" "$work/bad-state_dict.pt"
expect_refused "has no trainable parameters" "$work/bad-frozen.pt"
expect_refused "returns Long values; training needs floating-point logits" "$work/bad-integer.pt"
expect_refused "takes 3-channel images (its first convolution, features.0.0.weight, has 3 input channels), but the data's images have 1 channel(s)" "$work/mobilenet_v3_small.pt"
script_model mobilenet_v3_small --num_classes=1000 --in_channels=1 --output="$work/classes.pt"
expect_refused "returns shape [2, 1000] for a batch of 2 images; the data has 10 classes, so it must return [2, 10]" \
  "$work/classes.pt"
expect_refused "cannot read this TorchScript file: No such file or directory" "$work/missing.pt"
expect_refused "loads into built-in models; a TorchScript model" "$work/r18.pt" --init_weights="$work/state_dict.pt"
py bad-model no_batch_norm "$work/no-bn.pt"
expect_refused "--sync_bn: --model=$work/no-bn.pt has no BatchNorm layers to synchronise" "$work/no-bn.pt" --sync_bn
echo "ok: a state_dict, no trainable parameters, integer output, wrong channels, wrong classes, a missing file," \
     "--init_weights and --sync_bn without BatchNorm are each refused with one line"
echo "PASS: TorchScript models train, resume bitwise, export, evaluate exactly, and bad ones are refused"
