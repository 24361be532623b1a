#!/usr/bin/env bash
# What progressive resizing saves in input work: Strobe's training-sample pipeline (decode of the crop's region with
# libjpeg-turbo's DCT scaling, RandomResizedCrop, flip, normalise) at each crop side of a schedule, on the photo set
# of bench/jpeg_bench.sh (64 photos of 500x375), one thread, rounds alternating between the sides. Prints each
# side's median ms per image and its ratio to the last side's.
# Usage: bench/resize_decode_cost.sh [BUILD_DIR] [REPEATS] [SIDES...]   (default sides: 128 160 192 224)
set -euo pipefail
build=${1:-build}
repeats=${2:-5}
shift $(( $# >= 2 ? 2 : $# ))
sides=("$@")
[[ ${#sides[@]} -gt 0 ]] || sides=(128 160 192 224)
photos=${STROBE_PHOTO_SET:-$build/photo-set}
[[ -d $photos ]] ||
  { echo "resize_decode_cost.sh: no photo set at $photos (bash bench/jpeg_bench.sh makes it)" >&2; exit 1; }
declare -A runs
for ((r = 1; r <= repeats; ++r)); do
  for side in "${sides[@]}"; do
    line=$("$build/bench/jpeg_pipeline_bench" --images_dir="$photos" --rounds=3 --size="$side" | tail -1)
    runs[$side]+="$(sed -E 's/.*\(([0-9.]+) ms\/img per thread.*/\1/' <<<"$line") "
  done
done
last=${sides[-1]}
median() {
  printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}
reference=$(median "${runs[$last]}")
for side in "${sides[@]}"; do
  m=$(median "${runs[$side]}")
  awk -v s="$side" -v m="$m" -v r="$reference" -v all="${runs[$side]}" -v last="$last" \
    'BEGIN {printf "%d x %d: median %.3f ms/img (runs %s), %.2f of %d\n", s, s, m, all, m / r, last}'
done
