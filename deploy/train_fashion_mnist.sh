#!/usr/bin/env bash
# The main job: resnet20 on Fashion-MNIST for one epoch across 2 MPI ranks; prints progress and test accuracy.
# Usage: bash deploy/train_fashion_mnist.sh [RANKS] [extra strobe train flags]
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/mpi_env.sh
ranks=${1:-2}
shift || true
run_dir=runs/fashion-mnist-$(date +%Y%m%d-%H%M%S)
# Unbound: with 2 ranks or fewer mpirun would pin each rank to one core, whatever the machine has.
mpirun -np "$ranks" --bind-to none build/strobe train --data=/usr/share/datasets/fashion-mnist --model=resnet20 --epochs=1 \
  --batch_size=128 --run_dir="$run_dir" "$@"
echo "run directory: $run_dir (config.json, metrics.jsonl, checkpoints/; continue it with --resume=auto)"
