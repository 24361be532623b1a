#!/usr/bin/env bash
# The GPU checks of the training recipes (issue 23) and of TorchScript models (issue 22), for one GPU session:
# builds the CUDA configuration (deploy/gpu/build_cuda.sh), runs the test binaries at world size 1, then
#  1. `strobe train` on the GPU (NCCL, bf16, channels-last) with each --optimizer and 2 micro-batches per step,
#     and a resume of the AdamW run;
#  2. ResNet-50's training step (batch 256, bf16, channels-last) with each optimizer, with 2 micro-batches, and
#     PyTorch eager's SGD and AdamW steps beside them;
#  3. a TorchScript ResNet-50 (torch.jit.script of torchvision's) against the built-in one, alternating runs.
# Usage: bash deploy/gpu/check_recipes.sh DEB_DIR OUT_DIR   (DEB_DIR: see deploy/gpu/check_cuda_build.sh)
set -uo pipefail
debs=$1
out=$2
mkdir -p "$out"
root=$(cd "$(dirname "$0")/../.." && pwd)
exec > >(tee "$out/recipes.log") 2>&1

source "$root/deploy/gpu/build_cuda.sh"
source "$root/deploy/gpu/test_cuda_build.sh"
grep -E "FAILED|Failure" "$out/mpi.log" | head -10

echo "== strobe train on the GPU with each optimizer, 2 micro-batches per step (synthetic IDX data)"
python3 "$root/deploy/gpu/make_synthetic_idx.py" /tmp/idx
mpirun=("$prefix/usr/bin/mpirun.openmpi" --oversubscribe --bind-to none)
common=(train --data=/tmp/idx --batch_size=256 --amp=bf16 --channels_last --accum_steps=2 --scale_lr=false
        --cutmix_alpha=1 --mixup_alpha=0.2 --checkpoint_every_steps=8 --progress=lines --log_every=8)
for recipe in "sgd --lr=0.1" "adamw --lr=0.002 --weight_decay=0.05" "lamb --lr=0.01 --weight_decay=0.01" \
              "lars --lr=5 --weight_decay=5e-5"; do
  read -r name flags <<<"$recipe"
  echo "-- $name"
  "${mpirun[@]}" -np 1 ./strobe "${common[@]}" --optimizer="$name" $flags --epochs=2 --run_dir=/tmp/o-"$name" 2>&1 |
    grep -E "accuracy|done|error" | tail -2
done
echo "-- adamw resumed for a third epoch"
"${mpirun[@]}" -np 1 ./strobe "${common[@]}" --optimizer=adamw --lr=0.002 --weight_decay=0.05 --epochs=3 \
  --run_dir=/tmp/o-adamw --resume=auto 2>&1 | grep -E "resume|done|error" | tail -2

echo "== ResNet-50 step, batch 256, bf16, channels-last: each optimizer; accumulation; PyTorch eager beside"
for optimizer in sgd adamw lamb lars; do ./bench/gpu_train_bench --optimizer="$optimizer" | tail -1; done
./bench/gpu_train_bench --accum_steps=2 | tail -1
python3 "$root/bench/gpu_train_python.py" --optimizer sgd | tail -1
python3 "$root/bench/gpu_train_python.py" --optimizer adamw | tail -1

echo "== TorchScript resnet50 vs the built-in resnet50, same step, alternating"
python3 "$root/deploy/models/script_model.py" resnet50 --num_classes=1000 --output=/tmp/resnet50.pt
for round in 1 2 3; do
  ./bench/gpu_train_bench --model=resnet50 | tail -1
  ./bench/gpu_train_bench --model=/tmp/resnet50.pt | tail -1
done
echo "== end"
