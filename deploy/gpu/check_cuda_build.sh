#!/usr/bin/env bash
# Builds Strobe's CUDA configuration against the host's PyTorch (LibTorch 2.x) and runs the test binaries at world
# size 1, the GPU tests included, and measures the mixing kernels, ResNet-50 training throughput against PyTorch
# eager and a `strobe train` run on the GPU. For GPU hosts that have PyTorch, nvcc and pip's NCCL but no system
# MPI, Abseil or GoogleTest: Debian 12's .deb files for those (see DEBS below) are unpacked into a private prefix.
# Usage: bash deploy/gpu/check_cuda_build.sh DEB_DIR OUT_DIR [FASHION_MNIST_DIR]
#   DEB_DIR: the .debs, fetched on a Debian 12 machine with
#     apt-get download libopenmpi-dev libopenmpi3 openmpi-bin openmpi-common libpmix2 libhwloc15 libevent-2.1-7 \
#       libevent-core-2.1-7 libevent-pthreads-2.1-7 libfabric1 libucx0 libibverbs1 librdmacm1 libnl-3-200 \
#       libnl-route-3-200 libpsm2-2 libpsm-infinipath1 libmunge2 libltdl7 libnuma1 libpciaccess0 libxnvctrl0 \
#       libabsl-dev libabsl20220623 libgtest-dev libgfortran5 libxml2 libicu72 libbsd0 libmd0 libx11-6 libxext6 \
#       libxcb1 libxau6 libxdmcp6 libprotobuf-dev libprotobuf32 libprotobuf-lite32 protobuf-compiler libprotoc32
#     (protobuf since 2026-12-05, for TensorBoard's event files; not yet run on a GPU host)
#   OUT_DIR: receives the logs
#   FASHION_MNIST_DIR: if given, also trains 2 epochs on it on the GPU (the IDX .gz files)
set -uo pipefail
debs=$1
out=$2
fashion_mnist=${3:+$(realpath "$3")}  # absolute: the runs below start in the build directory
mkdir -p "$out"
root=$(cd "$(dirname "$0")/../.." && pwd)
exec > >(tee "$out/check.log") 2>&1


source "$root/deploy/gpu/build_cuda.sh"

source "$root/deploy/gpu/test_cuda_build.sh"

echo "== mixing kernels on the GPU vs a device-to-device copy"
./bench/mix_bench --device=cuda --iterations=50

echo "== ResNet-50 training throughput, bf16 autocast, channels-last, batch 256: Strobe vs PyTorch eager"
bash "$root/bench/gpu_bench.sh" /tmp/strobe-cuda 2

echo "== strobe train on the GPU (world size 1, NCCL): synthetic IDX data"
python3 "$root/deploy/gpu/make_synthetic_idx.py" /tmp/idx
mpirun_unbound=("$prefix/usr/bin/mpirun.openmpi" --oversubscribe)
mpirun=("${mpirun_unbound[@]}" --bind-to none)  # mpirun -np 1 would bind the rank to one core
"${mpirun[@]}" -np 1 ./strobe train --data=/tmp/idx --run_dir=/tmp/g1 --epochs=2 --batch_size=256 --amp=bf16 \
  --channels_last --cutmix_alpha=1 --mixup_alpha=0.2 --mix_partners=ring --checkpoint_every_steps=10 \
  --progress=lines --log_every=8 2>&1 | tail -6
"${mpirun[@]}" -np 1 ./strobe train --data=/tmp/idx --run_dir=/tmp/g1 --epochs=3 --batch_size=256 --amp=bf16 \
  --channels_last --cutmix_alpha=1 --mixup_alpha=0.2 --mix_partners=ring --resume=auto --progress=lines 2>&1 | \
  grep -E "resume|accuracy|done|error" | tail -4
"${mpirun[@]}" -np 1 ./strobe train --data=/tmp/idx --run_dir=/tmp/g2 --epochs=1 --batch_size=256 --amp=fp16 \
  --grad_compression=bf16 --progress=lines 2>&1 | grep -E "amp|accuracy|done|error" | tail -4
if [[ -n "$fashion_mnist" ]]; then
  echo "-- Fashion-MNIST, 2 epochs"
  "${mpirun[@]}" -np 1 ./strobe train --data="$fashion_mnist" --run_dir=/tmp/f1 --epochs=2 --batch_size=256 \
    --amp=bf16 --channels_last --progress=lines --log_every=100 2>&1 | grep -E "training|accuracy|done|error"
  echo "-- the ImageNet recipe on ImageNet-layout JPEGs (Fashion-MNIST upscaled to 256 x 256): data wait at GPU speed"
  ./strobe make-image-folder /tmp/fm-jpeg --data="$fashion_mnist" --train_samples=12800 --eval_samples=2000 \
    --folder_image_size=256 | tail -1
  "${mpirun[@]}" -np 1 ./strobe train --flagfile="$root/deploy/recipes/imagenet_resnet50.flags" --data=/tmp/fm-jpeg \
    --run_dir=/tmp/f2 --batch_size=256 --epochs=2 --warmup_epochs=0 --progress=lines --log_every=10 2>&1 | \
    grep -E "decode|step .*(data wait|img/s)|accuracy|done|error" | tail -12
  echo "-- the same for 1 epoch, the rank bound to one core (mpirun's default for 1 or 2 ranks): the side-by-side"
  "${mpirun_unbound[@]}" --bind-to core -np 1 ./strobe train --flagfile="$root/deploy/recipes/imagenet_resnet50.flags" \
    --data=/tmp/fm-jpeg --run_dir=/tmp/f3 --batch_size=256 --epochs=1 --warmup_epochs=0 --progress=lines \
    --log_every=10 2>&1 | grep -E "warning|step .*(data wait|img/s)|done|error" | tail -6
fi
echo "-- two ranks on a one-GPU host must stop with a named error"
"${mpirun[@]}" -np 2 ./strobe train --data=/tmp/idx --run_dir=/tmp/g3 --device=cuda 2>&1 | grep "strobe: error" | head -2
