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
prefix=/opt/strobe-deps
root=$(cd "$(dirname "$0")/../.." && pwd)
exec > >(tee "$out/check.log") 2>&1

echo "== host"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
nvcc --version | tail -1
g++ --version | head -1

mkdir -p "$prefix"
for deb in "$debs"/*.deb; do dpkg -x "$deb" "$prefix"; done
lib=$prefix/usr/lib/x86_64-linux-gnu
export OPAL_PREFIX=$prefix/usr
export LD_LIBRARY_PATH=$lib:$lib/openmpi/lib:${LD_LIBRARY_PATH:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The Debian PMIx library must load its own plugins, not those of a PMIx the host may have in the same path.
export PMIX_MCA_mca_base_component_path=$lib/pmix2/lib/pmix PMIX_MCA_pcompress_base_silence_warning=1

printf '#define OMPI_SKIP_MPICXX 1\n#include <mpi.h>\nint main(int c, char** v) { MPI_Init(&c, &v); MPI_Finalize(); }\n' > /tmp/mpi_probe.cc
g++ /tmp/mpi_probe.cc -I"$lib/openmpi/include" -L"$lib/openmpi/lib" -lmpi -Wl,-rpath-link,"$lib" \
  -Wl,-rpath-link,"$lib/openmpi/lib" -o /tmp/mpi_probe && /tmp/mpi_probe && echo "MPI probe: singleton init works"
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
nccl_dir=$(python3 -c 'import nvidia.nccl as n; print(list(n.__path__)[0])')
nccl_lib=$(ls "$nccl_dir"/lib/libnccl.so* | head -1)
echo "== configure (torch $torch_prefix, nccl $nccl_lib)"
cmake -S "$root" -B /tmp/strobe-cuda -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$lib/cmake" \
  -DMPI_C_HEADER_DIR="$lib/openmpi/include" -DMPI_C_LIB_NAMES=mpi -DMPI_mpi_LIBRARY="$lib/openmpi/lib/libmpi.so" \
  -DMPIEXEC_EXECUTABLE="$prefix/usr/bin/mpirun.openmpi" \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$lib -Wl,-rpath-link,$lib/openmpi/lib" \
  -DNCCL_INCLUDE_DIR="$nccl_dir/include" -DNCCL_LIBRARY="$nccl_lib" \
  -DProtobuf_INCLUDE_DIR="$prefix/usr/include" -DProtobuf_LIBRARY="$lib/libprotobuf.so" \
  -DProtobuf_PROTOC_EXECUTABLE="$prefix/usr/bin/protoc" \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DTORCH_CUDA_ARCH_LIST=9.0 \
  -DSTROBE_WITH_PMIX=OFF `# the host's own PMIx headers are not those of the Debian Open MPI used here` \
  > "$out/configure.log" 2>&1
rc=$?; tail -5 "$out/configure.log"; [[ $rc -eq 0 ]] || { echo "configure failed"; tail -40 "$out/configure.log"; exit 1; }
grep "Strobe:" "$out/configure.log"

echo "== build"
start=$(date +%s)
cmake --build /tmp/strobe-cuda -j16 > "$out/build.log" 2>&1
rc=$?; echo "build rc=$rc in $(( $(date +%s) - start )) s"
grep -E "error|warning: " "$out/build.log" | head -30
[[ $rc -eq 0 ]] || { tail -40 "$out/build.log"; exit 1; }

echo "== tests at world size 1 (singleton MPI)"
cd /tmp/strobe-cuda
./tests/strobe_unit_tests > "$out/unit.log" 2>&1; rc=$?; tail -3 "$out/unit.log"; echo "unit tests rc=$rc"
if [[ $rc -ne 0 ]]; then  # name each failing or crashing test
  for t in $(./tests/strobe_unit_tests --gtest_list_tests | awk '/^[^ ]/ {s=$1} /^  / {print s $1}'); do
    ./tests/strobe_unit_tests --gtest_filter="$t" > /dev/null 2>&1 || echo "  failed: $t"
  done
fi
./tests/strobe_mpi_tests > "$out/mpi.log" 2>&1; echo "mpi tests rc=$?"; tail -3 "$out/mpi.log"
./tests/strobe_gpu_tests > "$out/gpu_tests.log" 2>&1; echo "gpu tests rc=$?"
grep -E "^\[  |OK \]|FAILED|Failure|Expected|actual|Which is" "$out/gpu_tests.log" | tail -40

echo "== mixing kernels on the GPU vs a device-to-device copy"
./bench/mix_bench --device=cuda --iterations=50

echo "== ResNet-50 training throughput, bf16 autocast, channels-last, batch 256: Strobe vs PyTorch eager"
bash "$root/bench/gpu_bench.sh" /tmp/strobe-cuda 2

echo "== strobe train on the GPU (world size 1, NCCL): synthetic IDX data"
python3 - <<'PY'
import gzip, os, struct, numpy as np
os.makedirs("/tmp/idx", exist_ok=True)
rng = np.random.default_rng(0)
for split, n in (("train", 4096), ("t10k", 1024)):
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    images = (rng.random((n, 28, 28)) * 60 + labels[:, None, None] * 19).astype(np.uint8)
    with gzip.open(f"/tmp/idx/{split}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
    with gzip.open(f"/tmp/idx/{split}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labels.tobytes())
PY
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
