#!/usr/bin/env bash
# Accuracy of mixing methods and partner policies: resnet20 on Fashion-MNIST, 2 ranks, the same epochs and seed
# for every row. Prints one markdown table row per configuration.
# Usage: bench/mix_accuracy_table.sh [BUILD_DIR] [EPOCHS] [SEED]
set -euo pipefail
build=${1:-build}
epochs=${2:-2}
seed=${3:-1}
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/deploy/mpi_env.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
  local name=$1
  shift
  local out
  out=$(mpirun -np 2 "$build/strobe" train --epochs="$epochs" --seed="$seed" --log_every=1000 \
    --run_dir="$work/$name" "$@" 2>&1 | grep '^strobe: done')
  local acc ips
  acc=$(echo "$out" | sed -n 's/.*test accuracy \([0-9.]*\) .*/\1/p')
  ips=$(echo "$out" | sed -n 's/.* steps, \([0-9.]*\) img\/s.*/\1/p')
  echo "| $name | $* | $acc | $ips |"
}

echo "| configuration | flags | test accuracy | img/s |"
echo "| --- | --- | --- | --- |"
both="--mixup_alpha=0.2 --cutmix_alpha=1.0 --mix_switch_prob=0.5"
run none
run mixup --mixup_alpha=0.2
run cutmix --cutmix_alpha=1.0
run cutmix+mixup $both
run fmix --fmix_alpha=1.0
for policy in roll permute previous ring; do
  run "cutmix+mixup, $policy" $both --mix_partners=$policy
done
