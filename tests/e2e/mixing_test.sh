#!/usr/bin/env bash
# `strobe train` with CutMix + Mixup and cross-rank (ring) or cross-batch (previous) partners under 2 ranks:
# the run completes with an evaluation, and the resolved configuration records the mixing settings.
# Usage: mixing_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for policy in ring previous; do
  output=$(timeout 240 "$mpiexec" -np 2 "$strobe" train --data="$data" --train_samples=1024 --batch_size=64 \
    --cutmix_alpha=1.0 --mixup_alpha=0.2 --mix_mode=elem --mix_partners=$policy --label_smoothing=0.1 \
    --run_dir="$work/$policy" --log_every=4 2>&1) || { echo "$output"; echo "FAIL: exit $?"; exit 1; }
  echo "$output" | tail -2
  grep -q "\"mix_partners\":\"$policy\"" "$work/$policy/config.json" || { echo "FAIL: config lacks $policy"; exit 1; }
  grep -q '"cutmix_alpha":1,' "$work/$policy/config.json" || { echo "FAIL: config lacks cutmix_alpha"; exit 1; }
  grep -q '"kind":"eval"' "$work/$policy/metrics.jsonl" || { echo "FAIL: no evaluation"; exit 1; }
done
echo "PASS: mixing with ring and previous partners under 2 ranks"
