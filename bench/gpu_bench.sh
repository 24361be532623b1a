#!/usr/bin/env bash
# ResNet-50 training throughput on one GPU: Strobe's training step (bench/gpu_train_bench.cc) against PyTorch eager
# in Python (bench/gpu_train_python.py), same model, batch, SGD, autocast and memory format, alternating runs in one
# session; prints each run and the ratio of the medians.
# Usage: bash bench/gpu_bench.sh BUILD_DIR [ROUNDS] [extra flags for both, e.g. --batch=256 --amp=bf16]
set -euo pipefail
build=$1
rounds=${2:-2}
shift $(( $# >= 2 ? 2 : 1 ))
here=$(cd "$(dirname "$0")" && pwd)
strobe=() python=()
for ((round = 1; round <= rounds; ++round)); do
  line=$("$build/bench/gpu_train_bench" "$@" | tail -1); echo "$line"; strobe+=("$(sed -E 's/.*: ([0-9.]+) img\/s.*/\1/' <<<"$line")")
  py_flags=()
  for flag in "$@"; do py_flags+=("${flag%%=*}" "${flag#*=}"); done
  line=$(python3 "$here/gpu_train_python.py" "${py_flags[@]}" | tail -1); echo "$line"
  python+=("$(sed -E 's/.*: ([0-9.]+) img\/s.*/\1/' <<<"$line")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
s=$(median "${strobe[@]}"); p=$(median "${python[@]}")
awk -v s="$s" -v p="$p" 'BEGIN {printf "median: strobe %.1f img/s, pytorch eager %.1f img/s, ratio %.3f\n", s, p, s / p}'
