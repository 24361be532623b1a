#!/usr/bin/env bash
# --optimizer, --accum_steps and --sync_bn end to end, 2 ranks on Fashion-MNIST with CutMix + Mixup:
#  1. adamw, lamb and lars, each with 2 micro-batches per step, train (test accuracy well above chance) with the
#     optimizer named in every checkpoint's MANIFEST and its state in optimizer.pt under torch.optim's names
#     (read back in Python when Debian's python3-torch is there);
#  2. each resumed from its checkpoint at step 10 ends bitwise equal to its straight run (every file of the final
#     checkpoint: model, optimizer state, every rank's state);
#  3. the AdamW checkpoint resumes on 1 rank with 4 micro-batches (same global batch) and finishes;
#  4. a checkpoint resumed with another --optimizer is refused with one line naming both, and nothing is written;
#  5. --sync_bn trains with 2 micro-batches, and is resumed bitwise as well;
#  6. progressive resizing of the IDX images (16 -> 28) announces each size, learns, resumes bitwise in both
#     epochs, and refuses an --image_size other than the images' own or a larger training size;
#  7. the fast recipe's --amp=bf16 --channels_last with resizing trains and resumes bitwise, warning about emulated
#     bf16 only on a CPU without bf16 instructions;
#  8. `strobe export` and `strobe eval` refuse a bad --format or --eval_split, and --ema on a checkpoint without one.
# Usage: recipes_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
common=(train --data="$data" --train_samples=1024 --batch_size=64 --epochs=2 --log_every=8 --eval_samples=1000
        --eval_batch=250 --checkpoint_every_steps=10 --keep_checkpoints=0 --mixup_alpha=0.2 --cutmix_alpha=1.0
        --scale_lr=false --accum_steps=2)
declare -A recipe=([adamw]="--optimizer=adamw --lr=0.002 --weight_decay=0.05"
                   [lamb]="--optimizer=lamb --lr=0.01 --weight_decay=0.01"
                   [lars]="--optimizer=lars --lr=5 --weight_decay=5e-5")
final=checkpoints/step-000000032

for name in adamw lamb lars; do
  read -r -a flags <<<"${recipe[$name]}"
  train 2 "$work/$name" "${flags[@]}"
  grep -q "2 rank(s) x 32 (2 micro-batches of 16) on cpu" "$work/$name.log" || fail "the start line lacks the micro-batches"
  accuracy=$(grep -o "test accuracy [0-9.]*" "$work/$name.log" | tail -1 | awk '{print $3}')
  awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.5) }' || fail "$name reached test accuracy $accuracy, expected >= 0.5"
  grep -qx "optimizer $name" "$work/$name/$final/MANIFEST" \
    || fail "the MANIFEST of $name's checkpoint lacks its optimizer"
  train 2 "$work/$name-resumed" "${flags[@]}" --resume="$work/$name/checkpoints/step-000000010"
  grep -q "resumed from .*step-000000010: step 10" "$work/$name-resumed.log" || fail "$name did not resume"
  diff <(files_of "$work/$name/$final") <(files_of "$work/$name-resumed/$final") \
    || fail "$name resumed at step 10 differs from its straight run"
  echo "ok: $name with 2 micro-batches: test accuracy $accuracy; resumed at step 10 it is bitwise the straight run"
done

if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 - "$work/adamw/$final" <<'PY' \
    || fail "optimizer.pt does not hold AdamW's state by torch.optim's names"
import sys, torch
checkpoint = sys.argv[1]
parameters = torch.load(checkpoint + "/model.pt")
state = torch.load(checkpoint + "/optimizer.pt")
names = [n for n, t in parameters.items() if t.is_floating_point() and "running_" not in n]
expected = {f"{slot}/{n}" for slot in ("step", "exp_avg", "exp_avg_sq") for n in names}
assert set(state) == expected, sorted(set(state) ^ expected)[:5]
assert all(state[f"step/{n}"].item() == 32 for n in names), "32 optimizer steps"
assert all(state[f"exp_avg/{n}"].shape == parameters[n].shape for n in names)
PY
  echo "ok: optimizer.pt holds step, exp_avg and exp_avg_sq of every parameter, as torch.optim.AdamW names them"
fi

read -r -a flags <<<"${recipe[adamw]}"
train 1 "$work/adamw-1-rank" "${flags[@]}" --accum_steps=4 --resume="$work/adamw/checkpoints/step-000000010"
grep -q "world size 2 -> 1" "$work/adamw-1-rank.log" || fail "no world-size change in the 1-rank resume"
[[ -d $work/adamw-1-rank/$final ]] || fail "the 1-rank resume with 4 micro-batches did not finish"
echo "ok: the AdamW checkpoint resumes on 1 rank with 4 micro-batches"

status=0
output=$(timeout 120 "$mpiexec" -np 2 "$strobe" "${common[@]}" --optimizer=sgd --run_dir="$work/switched" \
  --resume="$work/adamw/checkpoints/step-000000010" 2>&1) || status=$?
[[ $status -ne 0 ]] || fail "an SGD run resumed an AdamW checkpoint"
mismatch="checkpoint $work/adamw/checkpoints/step-000000010 was trained with --optimizer=adamw, but --optimizer=sgd"
grep -q "strobe: error: .*$mismatch" <<<"$output" || { echo "$output"; fail "no optimizer mismatch error"; }
[[ $(grep -c "^strobe: error:" <<<"$output") -eq 1 ]] || { echo "$output"; fail "more than one error line"; }
[[ ! -e $work/switched/checkpoints/step-000000010 ]] || fail "the refused resume wrote a checkpoint"
echo "ok: another optimizer: $(grep -m1 -o "strobe: error: .*" <<<"$output")"

train 2 "$work/sync" --sync_bn
accuracy=$(grep -o "test accuracy [0-9.]*" "$work/sync.log" | tail -1 | awk '{print $3}')
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.5) }' || fail "--sync_bn reached test accuracy $accuracy, expected >= 0.5"
train 2 "$work/sync-resumed" --sync_bn --resume="$work/sync/checkpoints/step-000000010"
diff <(files_of "$work/sync/$final") <(files_of "$work/sync-resumed/$final") \
  || fail "--sync_bn resumed at step 10 differs from its straight run"
echo "ok: --sync_bn with 2 micro-batches: test accuracy $accuracy; resumed at step 10 it is bitwise the straight run"

# Progressive resizing of IDX images: 16 x 16 in epoch 0, Fashion-MNIST's own 28 x 28 (evaluation's) from epoch 1;
# announced by epoch, learning, and resumed in either epoch bitwise.
sized=(--image_size=28 --image_size_schedule=16@0,28@1)
train 2 "$work/sized" "${sized[@]}"
grep -q "epoch 0 trains on 16 x 16 images (--image_size_schedule; evaluation at 28)" "$work/sized.log" &&
  grep -q "epoch 1 trains on 28 x 28 images" "$work/sized.log" ||
  { cat "$work/sized.log"; fail "no image size events"; }
accuracy=$(grep -o "test accuracy [0-9.]*" "$work/sized.log" | tail -1 | awk '{print $3}')
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.5) }' || fail "16 -> 28 reached test accuracy $accuracy, expected >= 0.5"
for step in 10 20; do
  train 2 "$work/sized-$step" "${sized[@]}" --resume="$work/sized/checkpoints/step-0000000$step"
  diff <(files_of "$work/sized/$final") <(files_of "$work/sized-$step/$final") \
    || fail "16 -> 28 resumed at step $step differs from its straight run"
done
echo "ok: IDX images resized 16 -> 28 by epoch: test accuracy $accuracy; resumed in either epoch bitwise"
# Evaluation is at the images' own size, which --image_size must name; a larger training size is refused too.
for flags in "--image_size_schedule=16@0,24@1" "--image_size=28 --image_size_schedule=16@0,32@1"; do
  status=0
  read -r -a bad <<<"$flags"
  out=$(timeout 60 "$strobe" "${common[@]}" "${bad[@]}" --run_dir="$work/sized-bad" 2>&1) || status=$?
  [[ $status -ne 0 && ! -e $work/sized-bad ]] &&
    grep -q "holds 28 x 28 IDX images, evaluated at that size; progressive resizing needs --image_size=28 and \
training sizes up to 28" <<<"$out" || { echo "$out"; fail "$flags accepted for IDX data"; }
  echo "ok: $flags: $(grep -m1 -o "strobe: error: .*" <<<"$out")"
done

# The fast recipe's precision and layout on the CPU: bf16 autocast and channels-last with resizing train, resume in
# the second epoch bitwise, and warn about emulated bf16 exactly when the CPU lacks bf16 instructions. (Without
# AVX-512, LibTorch computes bf16 in its own kernels, far too slowly for this test: it is skipped there.)
cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo)
if [[ " $cpu_flags " != *" avx512f "* ]]; then
  echo "skipped: --amp=bf16 without AVX-512 runs in LibTorch's own bf16 kernels, too slow for this test"
else
  fast=(--amp=bf16 --channels_last "${sized[@]}")
  train 2 "$work/bf16" "${fast[@]}"
  grep -q "on cpu (amp bf16, channels-last)" "$work/bf16.log" || fail "the start line lacks bf16 and channels-last"
  if [[ " $cpu_flags " == *" amx_bf16 "* || " $cpu_flags " == *" avx512_bf16 "* ]]; then
    ! grep -q "warning: --amp=bf16" "$work/bf16.log" || fail "a CPU with bf16 instructions got the emulation warning"
  else
    grep -q "warning: --amp=bf16 on the CPU: 2 of 2 ranks" "$work/bf16.log" || fail "no warning about emulated bf16"
  fi
  accuracy=$(grep -o "test accuracy [0-9.]*" "$work/bf16.log" | tail -1 | awk '{print $3}')
  awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.5) }' || fail "bf16 reached test accuracy $accuracy, expected >= 0.5"
  train 2 "$work/bf16-20" "${fast[@]}" --resume="$work/bf16/checkpoints/step-000000020"
  diff <(files_of "$work/bf16/$final") <(files_of "$work/bf16-20/$final") \
    || fail "bf16 resumed at step 20 differs from its straight run"
  echo "ok: --amp=bf16 --channels_last with resizing: test accuracy $accuracy; resumed at step 20 bitwise"
fi

# Bad input to `strobe export` and `strobe eval` with such a checkpoint (no EMA): one clear line, nothing written.
refused() {  # MESSAGE COMMAND...
  local message=$1 status=0 out
  shift
  out=$(timeout 120 "$strobe" "$@" 2>&1) || status=$?
  [[ $status -ne 0 ]] || { echo "$out"; fail "accepted: $*"; }
  grep -qF -- "$message" <<<"$out" || { echo "$out"; fail "$* gave no '$message'"; }
  echo "ok: $1 $2: $(grep -m1 -o "strobe: error: .*" <<<"$out")"
}
checkpoint=$work/adamw/$final
refused "--format=bogus is not one of auto, torchscript, state_dict" export --format=bogus "$checkpoint" "$work/x.pt"
refused "--ema: checkpoint $checkpoint holds no moving average of the weights" export --ema "$checkpoint" "$work/x.pt"
[[ ! -e $work/x.pt ]] || fail "a refused export wrote its output"
refused "--eval_split=bogus is not one of test, train" eval --eval_split=bogus --model="$checkpoint" --data="$data" \
  --train_samples=1024
refused "--ema: checkpoint $checkpoint holds no moving average of the weights" eval --ema --model="$checkpoint" \
  --data="$data" --train_samples=1024 --output="$work/x.json"
[[ ! -e $work/x.json ]] || fail "a refused eval wrote its output"

# deploy/recipes/imagenet_resnet50_lars.flags is accepted and plans its LR as documented: linear warmup to 17 over 5
# epochs, then polynomial decay of power 2 towards 1e-4 (on Fashion-MNIST's 60,000 images: 7 steps per epoch).
"$strobe" lr-plot --flagfile="$(dirname "$0")/../../deploy/recipes/imagenet_resnet50_lars.flags" \
  --output="$work/lars.png" | grep -q "308 steps, peak LR 17)" || fail "the LARS recipe's flags were not accepted"
awk -F, 'NR == 36 && $3 != 17 { exit 1 } NR == 309 && !($3 > 1e-4 && $3 < 1e-3) { exit 1 }' "$work/lars.csv" \
  || fail "the LARS recipe's LR plan is not warmup to 17 then poly decay towards 1e-4"
echo "ok: the ImageNet LARS recipe's flags are accepted, peak LR 17 after 5 epochs, decaying towards 1e-4"
# deploy/recipes/fashion_mnist_fast.flags: 11 epochs of 468 steps, LR 0.2 x 128/256 at its peak.
"$strobe" lr-plot --flagfile="$(dirname "$0")/../../deploy/recipes/fashion_mnist_fast.flags" \
  --output="$work/fast.png" | grep -q "5148 steps, peak LR 0.1)" ||
  fail "the Fashion-MNIST recipe's flags were not accepted"
echo "ok: the fast Fashion-MNIST recipe's flags are accepted, 5148 steps, peak LR 0.1"
