#!/usr/bin/env bash
# `strobe plan`: the projection table, CSV and PNG for ResNet-50 with the Goyal et al. 2017 preset, and bad input.
# Usage: plan_test.sh STROBE_BINARY
set -euo pipefail
strobe=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
output=$("$strobe" plan --model=resnet50 --plan_preset=goyal2017 --plan_max_gpus=256 --output="$work/goyal.png")
echo "$output"
grep -q "25557032 parameters (102.2 MB of fp32 gradients)" <<<"$output" || fail "wrong gradient size"
grep -qE '^ +256 +32 .* 98\.5%$' <<<"$output" || fail "the 8 -> 256 GPU efficiency changed"
[[ $(wc -l <"$work/goyal.csv") -eq 10 ]] || fail "expected 9 rows (1 to 256 GPUs) in the CSV"
is_png "$work/goyal.png" || fail "no PNG"
expect_error() {  # MESSAGE ARGS...
  local message=$1 out status=0
  shift
  out=$("$strobe" plan "$@" 2>&1) || status=$?
  [[ $status -eq 2 ]] && grep -qF -- "$message" <<<"$out" || { echo "$out"; fail "expected exit 2 and '$message'"; }
}
expect_error "--plan_preset=tpu is not one of a100, goyal2017" --plan_preset=tpu --output="$work/x.png"
expect_error "already exists; not overwriting it" --model=resnet50 --output="$work/goyal.png"
expect_error "--model=vgg16 is not" --model=vgg16 --output="$work/y.png"
expect_error "--plan_classes and --plan_in_channels must be positive, got 0 and 3" --plan_classes=0 \
  --output="$work/z.png"
# A small model on Fashion-MNIST's shape gets training's minimum of two buckets, the last one just over 256 KiB (the
# smallest cut, ops/bucket_plan.h), cut at parameter boundaries as training cuts them: 825,640 and 263,104 bytes.
small=$("$strobe" plan --model=resnet20 --plan_classes=10 --plan_in_channels=1 --plan_max_gpus=2 \
        --output="$work/small.png") || { echo "$small"; fail "plan of resnet20 failed"; }
grep -q "resnet20, 272186 parameters (1.1 MB of fp32 gradients), 2 buckets of at most 0.79 MiB" <<<"$small" ||
  { echo "$small"; fail "resnet20's gradients or buckets"; }
echo "PASS: strobe plan"
