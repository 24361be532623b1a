#!/usr/bin/env bash
# --task=regression end to end on 2 ranks: Fashion-MNIST's labels read as ordinal values, one output, MSE, with
# Mixup and CutMix mixing the targets with the images' lambda:
#  1. the run reports test MAE, RMSE and rounded accuracy (progress line, metrics.jsonl, the final line), the MAE
#     falls from the first epoch to the second and ends below 2.0 (a constant predictor of 4.5 scores 2.5 on these
#     labels);
#  2. `strobe eval --task=regression` of the final checkpoint gives the run's own figures at 1 and 2 ranks, and its
#     JSON holds them;
#  3. smooth-L1 trains too; bad combinations are one clear error each.
# Usage: regression_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(train --data="$data" --task=regression --train_samples=4096 --batch_size=128 --log_every=16
        --progress=lines)

out=$(timeout 300 "$mpiexec" -np 2 "$strobe" "${common[@]}" --epochs=2 --mixup_alpha=0.8 --cutmix_alpha=1.0 \
  --run_dir="$work/mix" 2>&1) || { echo "$out"; fail "the regression run exited with $?"; }
grep -q '"task":"regression"' "$work/mix/config.json" || fail "config.json does not record the task"
mapfile -t maes < <(sed -n 's/^epoch [12] test MAE \([0-9.]*\) RMSE [0-9.]* rounded accuracy [0-9.]* loss [0-9.]* (10000 images)$/\1/p' <<<"$out")
[[ ${#maes[@]} -eq 2 ]] || { echo "$out"; fail "expected two evaluation lines with MAE, RMSE and rounded accuracy"; }
awk -v a="${maes[0]}" -v b="${maes[1]}" 'BEGIN { exit !(b < a && b < 2.0) }' ||
  fail "MAE did not fall below 2.0: epoch 1 ${maes[0]}, epoch 2 ${maes[1]}"
evals=$(grep -c '"kind":"eval".*"test_mae":[0-9.]*.*"test_rmse":[0-9.]*' "$work/mix/metrics.jsonl")
[[ $evals -eq 2 ]] || fail "metrics.jsonl has $evals eval lines with test_mae and test_rmse, expected 2"
! grep -q '"test_top5"' "$work/mix/metrics.jsonl" || fail "a regression run reports top-5"
grep -q '"mix_lambda_mean":' "$work/mix/metrics.jsonl" || fail "no mixing in the regression run"
final=$(sed -n 's/^strobe: done: .* test accuracy \([0-9.]*\) (10000 images), MAE \([0-9.]*\), RMSE \([0-9.]*\)$/\2 \3 \1/p' <<<"$out")
[[ -n $final ]] || { echo "$out"; fail "no final line with MAE and RMSE"; }
echo "ok: regression with Mixup + CutMix on 2 ranks: MAE ${maes[0]} -> ${maes[1]}; final MAE, RMSE, rounded accuracy: $final"

checkpoint=$(ls -d "$work/mix"/checkpoints/step-* | tail -1)
scores() { sed -n 's/^strobe: eval of .*: 10000 images on [0-9]* rank(s), MAE \([0-9.]*\), RMSE \([0-9.]*\), rounded accuracy \([0-9.]*\), .*/\1 \2 \3/p' <<<"$1"; }
one=$("$strobe" eval --task=regression --train_samples=4096 --model="$checkpoint" --output="$work/eval.json")
two=$(timeout 120 "$mpiexec" -np 2 "$strobe" eval --task=regression --train_samples=4096 --model="$checkpoint" 2>&1)
[[ $(scores "$one") == "$final" && $(scores "$two") == "$final" ]] ||
  fail "strobe eval: 1 rank '$(scores "$one")', 2 ranks '$(scores "$two")', the run's '$final'"
grep -q '"task":"regression".*"mae":[0-9.]*,"rmse":[0-9.]*' "$work/eval.json" || fail "eval JSON: $(cat "$work/eval.json")"
echo "ok: strobe eval --task=regression at 1 and 2 ranks gives the run's own MAE, RMSE and rounded accuracy"

out=$(timeout 300 "$mpiexec" -np 2 "$strobe" "${common[@]}" --regression_loss=smooth_l1 --train_samples=1024 \
  --run_dir="$work/smooth" 2>&1) || { echo "$out"; fail "the smooth-L1 run exited with $?"; }
grep -q '"regression_loss":"smooth_l1"' "$work/smooth/config.json" || fail "config.json lacks smooth_l1"

expect_refused() {  # MESSAGE [flags...]
  local message=$1 status=0 err
  shift
  err=$(timeout 60 "$mpiexec" -np 2 "$strobe" train --data="$data" --run_dir="$work/refused" "$@" 2>&1) || status=$?
  [[ $status -eq 2 ]] && grep -qF -- "$message" <<<"$err" || { echo "$err"; fail "$*: exit $status, no '$message'"; }
  [[ ! -e $work/refused ]] || fail "$*: left a run directory"
}
expect_refused "--label_smoothing applies to classification: --task=regression trains on the label's value" \
  --task=regression --label_smoothing=0.1
expect_refused "--task=ordinal is not one of classification, regression" --task=ordinal
expect_refused "--regression_loss=huber is not one of mse, smooth_l1" --task=regression --regression_loss=huber
echo "PASS: ordinal regression trains with mixed targets, evaluates exactly, and refuses bad combinations"
