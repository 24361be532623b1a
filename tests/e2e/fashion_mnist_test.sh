#!/usr/bin/env bash
# End to end: 2 ranks train resnet20 for one epoch on the real Fashion-MNIST and must reach >= 85% test accuracy;
# the run directory must hold the resolved configuration and metrics with an evaluation line.
# Usage: fashion_mnist_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
run_dir=$(mktemp -d)/run
trap 'rm -rf "$(dirname "$run_dir")"' EXIT

output=$(timeout 540 "$mpiexec" -np 2 "$strobe" train --data="$data" --model=resnet20 --epochs=1 --batch_size=128 \
  --run_dir="$run_dir" --log_every=100 2>&1) || { echo "$output"; echo "FAIL: strobe exited with $?"; exit 1; }
echo "$output"

accuracy=$(echo "$output" | sed -n 's/^strobe: done: .* test accuracy \([0-9.]*\) (10000 images)$/\1/p')
[[ -n "$accuracy" ]] || { echo "FAIL: no final accuracy over 10000 test images in the output"; exit 1; }
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.85) }' || { echo "FAIL: test accuracy $accuracy < 0.85"; exit 1; }
grep -q '"world_size":2' "$run_dir/config.json" || { echo "FAIL: config.json lacks world_size 2"; exit 1; }
grep -q '"kind":"eval".*"test_samples":10000' "$run_dir/metrics.jsonl" || { echo "FAIL: no eval line"; exit 1; }
[[ $(grep -c '"kind":"train"' "$run_dir/metrics.jsonl") -ge 4 ]] || { echo "FAIL: too few train lines"; exit 1; }
echo "PASS: 2-rank resnet20 Fashion-MNIST test accuracy $accuracy"
