#!/usr/bin/env bash
# Configures and builds Strobe into build/ (Release, ccache when present).
# Usage: bash deploy/build.sh [--target=NAME] [extra cmake arguments, e.g. -DCMAKE_PREFIX_PATH=<PyTorch's prefix>]
#   --target=strobe builds the strobe binary alone (what the main job runs), not the test programs; the default is
#   everything, as the test suite needs.
set -euo pipefail
cd "$(dirname "$0")/.."
target=()
if [[ ${1:-} == --target=* ]]; then
  target=(--target "${1#--target=}")
  shift
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j"$(nproc)" "${target[@]}"
