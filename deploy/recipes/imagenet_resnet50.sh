#!/usr/bin/env bash
# ImageNet ResNet-50 (deploy/recipes/imagenet_resnet50.flags) on GPUS ranks from a hostfile, 256 images per GPU.
# Usage: bash deploy/recipes/imagenet_resnet50.sh HOSTFILE RANKS_PER_HOST DATA RUN_DIR [more strobe flags]
#   DATA: an ImageNet layout (train/<wnid>/*.JPEG, val/<wnid>/*.JPEG); RUN_DIR on a file system every host sees.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hostfile=${1:?hostfile}
ranks_per_host=${2:?ranks per host}
data=${3:?ImageNet directory}
run_dir=${4:?run directory}
shift 4
hosts=$(grep -cv '^\s*\(#\|$\)' "$hostfile")
gpus=$((hosts * ranks_per_host))
exec bash "$here/../launch_mpirun.sh" "$hostfile" "$ranks_per_host" train --flagfile="$here/imagenet_resnet50.flags" \
  --data="$data" --batch_size=$((256 * gpus)) --run_dir="$run_dir" --resume=auto "$@"
