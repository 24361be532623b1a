#!/usr/bin/env bash
# Configures and builds Strobe into build/ (Release, ccache when present).
# Usage: bash deploy/build.sh [extra cmake arguments, e.g. -DCMAKE_PREFIX_PATH=<PyTorch's cmake prefix>]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j"$(nproc)"
