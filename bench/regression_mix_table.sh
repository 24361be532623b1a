#!/usr/bin/env bash
# "Is Mixup useful for ordinal regression?" answered on Fashion-MNIST: its labels read as ordinal values 0..9
# (`--task=regression`, one output, MSE), resnet20, 2 ranks, the same schedule and seed, without mixing, with
# Mixup and with CutMix (targets mixed with the images' lambda). Prints one markdown table: test MAE, RMSE and the
# accuracy of the rounded prediction after EPOCHS epochs.
# Usage: bench/regression_mix_table.sh [BUILD_DIR] [EPOCHS] [SEED]   (defaults: build 3 1)
set -euo pipefail
build=${1:-build}
epochs=${2:-3}
seed=${3:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| mixing | test MAE | test RMSE | rounded accuracy | minutes |"
echo "| --- | --- | --- | --- | --- |"
for method in none mixup cutmix; do
  flags=()
  case $method in
    mixup) flags=(--mixup_alpha=0.8) ;;
    cutmix) flags=(--cutmix_alpha=1.0) ;;
  esac
  start=$(date +%s)
  out=$(mpirun -np 2 --bind-to none "$build/strobe" train --task=regression --epochs="$epochs" --seed="$seed" \
    --log_every=100000 --run_dir="$work/$method" "${flags[@]}" 2>&1) || { echo "$out" >&2; exit 1; }
  minutes=$(awk -v s="$start" -v e="$(date +%s)" 'BEGIN { printf "%.1f", (e - s) / 60 }')
  sed -n "s/^strobe: done: .* test accuracy \([0-9.]*\) (.* images), MAE \([0-9.]*\), RMSE \([0-9.]*\)$/| $method | \2 | \3 | \1 | $minutes |/p" <<<"$out"
done
