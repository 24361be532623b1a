#!/usr/bin/env bash
# Fuzzes the image decoder (worker/imagenet) with libFuzzer under AddressSanitizer and UndefinedBehaviorSanitizer
# for a bounded time, starting from a seed corpus of every image kind it handles. Exit 0: no crash, leak, hang
# or out-of-memory; 77 (CTest: skipped) without clang's libFuzzer (Debian: clang).
# Usage: run_image_decoder_fuzzer.sh BUILD_DIR [SECONDS]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?build directory}
seconds=${2:-60}
command -v clang++ >/dev/null || { echo "SKIP: clang++ not found (Debian: clang), needed for libFuzzer"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The decoder alone (no LibTorch), instrumented; Abseil and the codecs as installed.
clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$repo" \
  "$repo/tests/fuzz/image_decoder_fuzzer.cc" "$repo/worker/imagenet/image_decoder.cc" \
  "$repo/worker/imagenet/resample.cc" -o "$work/fuzzer" -ljpeg -lpng \
  $(pkg-config --libs absl_status absl_statusor absl_str_format) 2>"$work/build.log" \
  || { cat "$work/build.log"; echo "SKIP: clang++ cannot build a libFuzzer target here"; exit 77; }
mkdir "$work/corpus"
"$build/tests/make_image_seeds" "$work/corpus"
status=0
"$work/fuzzer" "$work/corpus" -artifact_prefix="$work/" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
  -print_final_stats=1 >"$work/fuzz.log" 2>&1 || status=$?
if [[ $status -ne 0 ]]; then
  tail -60 "$work/fuzz.log"
  mkdir -p "$build/fuzz-crashes" && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* \
    "$build/fuzz-crashes/" 2>/dev/null || true
  echo "FAIL: the image decoder fuzzer found a problem (inputs kept in $build/fuzz-crashes)"
  exit 1
fi
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/fuzz.log" | grep -o '[0-9]*$')
echo "PASS: image decoder fuzzed for $seconds s: $runs inputs, no crash, leak, hang or out-of-memory"
