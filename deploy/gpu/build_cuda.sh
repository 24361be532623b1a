# Sourced by the GPU check scripts (deploy/gpu/check_*.sh): unpacks Debian 12's MPI, Abseil, GoogleTest and
# protobuf .debs from $debs into a private prefix, points the environment at them, and configures and builds
# Strobe's CUDA configuration against the host's PyTorch (LibTorch 2.x) and pip's NCCL in /tmp/strobe-cuda, logging
# to $out, after naming the host's GPU, PyTorch and compilers. Exits the calling script if configuring or building
# fails. Needs: $debs, $out, $root.
prefix=/opt/strobe-deps
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

