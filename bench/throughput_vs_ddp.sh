#!/usr/bin/env bash
# Training throughput, Strobe vs PyTorch DistributedDataParallel (gloo, CPU), side by side in one run:
# resnet20 on Fashion-MNIST, 2 ranks, one thread per rank, global batch 128, one epoch, the same optimizer,
# LR schedule and data order policy. Prints each run's JSON summary and the throughput ratio.
# Usage: bench/throughput_vs_ddp.sh [BUILD_DIR] [EPOCHS] [SEED]   (needs /usr/bin/python3 with python3-torch)
set -euo pipefail
build=${1:-build}
epochs=${2:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
here=$(cd "$(dirname "$0")" && pwd)
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT

seed=${3:-1}
common="--epochs=$epochs --batch_size=128 --lr=0.1 --warmup_epochs=0.5 --seed=$seed"
strobe_out=$(mpirun -np 2 "$build/strobe" train --model=resnet20 $common --threads=1 --log_every=1000 \
  --run_dir="$run_dir/strobe")
ddp_out=$(/usr/bin/python3 "$here/ddp_baseline.py" --ranks=2 --threads=1 $common)
echo "$strobe_out" | grep '^strobe: done'
echo "$ddp_out"

strobe_ips=$(echo "$strobe_out" | sed -n 's/^strobe: done: .*steps, \([0-9.]*\) img\/s.*/\1/p')
strobe_acc=$(echo "$strobe_out" | sed -n 's/.*test accuracy \([0-9.]*\) (.*/\1/p')
ddp_ips=$(echo "$ddp_out" | sed -n 's/.*"images_per_s": \([0-9.]*\).*/\1/p')
ddp_acc=$(echo "$ddp_out" | sed -n 's/.*"test_accuracy": \([0-9.]*\).*/\1/p')
awk -v s="$strobe_ips" -v d="$ddp_ips" -v sa="$strobe_acc" -v da="$ddp_acc" 'BEGIN {
  printf "strobe %.1f img/s (acc %.4f) | pytorch ddp %.1f img/s (acc %.4f) | ratio %.3fx\n", s, sa, d, da, s / d }'
