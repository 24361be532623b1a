#!/usr/bin/env bash
# End to end, the JPEG input path: Fashion-MNIST written as an ImageNet-layout folder of upscaled RGB JPEGs
# (strobe make-image-folder) trains with 2 ranks to the same accuracy band as the IDX files; unreadable images
# are replaced, reported by name and counted, and stop the run past --max_bad_images; layout mistakes give clear
# errors; the file index is cached and noticed stale when a class folder changes.
# Usage: image_folder_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$strobe" make-image-folder "$work/fm" --data="$data" --train_samples=8000 --eval_samples=2000 --folder_image_size=32
[[ $(find "$work/fm/train" -name '*.JPEG' | wc -l) -eq 8000 && $(ls "$work/fm/val" | wc -l) -eq 10 ]] \
  || fail "make-image-folder did not write 8000 training images in 10 classes"

accuracy() { sed -n 's/^strobe: done: .* test accuracy \([0-9.]*\) (2000 images)$/\1/p' <<<"$1"; }
common=(--epochs=2 --batch_size=128 --eval_samples=2000 --log_every=20 --progress=lines)
idx=$(timeout 400 "$mpiexec" -np 2 "$strobe" train --data="$data" --train_samples=8000 "${common[@]}" \
  --run_dir="$work/idx" 2>&1) || { echo "$idx"; fail "IDX run exited with $?"; }
# Whole images (a crop area of 1 leaves only torchvision's centre-crop fallback) and flips: the IDX run's content.
jpeg=$(timeout 400 "$mpiexec" -np 2 "$strobe" train --data="$work/fm" --image_size=32 --val_resize=32 \
  --crop_scale_min=1 "${common[@]}" --run_dir="$work/jpeg" 2>&1) || { echo "$jpeg"; fail "JPEG run exited with $?"; }
idx_accuracy=$(accuracy "$idx")
jpeg_accuracy=$(accuracy "$jpeg")
[[ -n $idx_accuracy && -n $jpeg_accuracy ]] || { echo "$idx"; echo "$jpeg"; fail "no final accuracy"; }
grep -q "data wait [0-9]*%" <<<"$jpeg" || { echo "$jpeg"; fail "no data wait in the progress lines"; }
grep -q '"data_wait":' "$work/jpeg/metrics.jsonl" || fail "no data_wait in metrics.jsonl"
awk -v i="$idx_accuracy" -v j="$jpeg_accuracy" 'BEGIN { d = i - j; if (d < 0) d = -d; exit !(i >= 0.7 && j >= 0.7 && d <= 0.04) }' \
  || fail "accuracy: IDX $idx_accuracy, JPEG folder $jpeg_accuracy (both must be >= 0.70, within 0.04)"
echo "ok: 2 ranks, 2 epochs, 8000 images: IDX accuracy $idx_accuracy, JPEG folder accuracy $jpeg_accuracy," \
     "$(grep -o 'data wait [0-9]*%' <<<"$jpeg" | tail -1)"
[[ -s $work/fm/.strobe-index-train.tsv && -s $work/fm/.strobe-index-val.tsv ]] || fail "no index cache next to the data"

# The same images as WebDataset tar shards (<key>.jpg + <key>.cls, 1000 samples per shard), decoded into bytes
# and normalised at the training device (--uint8_batches; the folder run above used float batches).
"$strobe" make-image-folder "$work/shards" --data="$data" --train_samples=8000 --eval_samples=2000 \
  --folder_image_size=32 --folder_format=tar
[[ $(ls "$work/shards/train" | wc -l) -eq 8 ]] || fail "expected 8 training shards"
tar=$(timeout 400 "$mpiexec" -np 2 "$strobe" train --data="$work/shards" --image_size=32 --val_resize=32 \
  --crop_scale_min=1 --uint8_batches "${common[@]}" --run_dir="$work/tar" 2>&1) || {
  echo "$tar"; fail "tar-shard run exited with $?"; }
tar_accuracy=$(accuracy "$tar")
# The same JPEGs as the folder run, so the same band around it, closer: they differ in sample order (folders sort by
# class, shards interleave) and here in rounding to bytes (measured: 0.005 apart with float batches, 0.0095 with
# uint8).
awk -v j="$jpeg_accuracy" -v t="$tar_accuracy" 'BEGIN { d = j - t; if (d < 0) d = -d; exit !(t >= 0.7 && d <= 0.02) }' \
  || fail "accuracy: JPEG folder $jpeg_accuracy, tar shards $tar_accuracy (must be >= 0.70, within 0.02)"
echo "ok: WebDataset tar shards, uint8 batches: accuracy $tar_accuracy"

# lr-find runs the trainer's own loop, so --uint8_batches are normalised on the device there too (before, lr-find
# fed them to the model as bytes and failed): its first loss (initial weights, first batch) is the float batches'.
for kind in float uint8; do
  flags=()
  [[ $kind == uint8 ]] && flags=(--uint8_batches)
  timeout 300 "$mpiexec" -np 2 "$strobe" lr-find --data="$work/fm" --image_size=32 --val_resize=32 --crop_scale_min=1 \
    --batch_size=128 --lr_find_steps=5 "${flags[@]}" --run_dir="$work/lrfind-$kind" >"$work/lrfind-$kind.log" 2>&1 \
    || { cat "$work/lrfind-$kind.log"; fail "lr-find with $kind batches exited with $?"; }
done
first_loss() { awk -F, 'NR == 2 { print $3 }' "$work/lrfind-$1/lr_find.csv"; }
awk -v f="$(first_loss float)" -v u="$(first_loss uint8)" \
  'BEGIN { d = (f - u) / f; exit !(f > 0 && d <= 0.01 && d >= -0.01) }' \
  || fail "lr-find's first loss: $(first_loss float) with float batches, $(first_loss uint8) with uint8 batches"
echo "ok: lr-find with uint8 batches: first loss $(first_loss uint8), float batches $(first_loss float)"
cp -r "$work/shards" "$work/cut-shard"
truncate -s 100000 "$work/cut-shard/train/shard-000003.tar"  # its cached index is now stale
status=0
out=$("$strobe" train --data="$work/cut-shard" --image_size=32 --run_dir="$work/cut-run" 2>&1) || status=$?
[[ $status -ne 0 ]] && grep -q "shard-000003.tar: truncated" <<<"$out" || { echo "$out"; fail "a truncated shard (exit $status)"; }
echo "ok: truncated shard: $(grep -m1 error <<<"$out")"

# Unreadable images (truncated, empty, not an image at all) and layout mistakes, on small copies: 60 training
# images, 12 per step so that an epoch reads every one.
"$strobe" make-image-folder "$work/small" --data="$data" --train_samples=60 --eval_samples=20 --folder_image_size=16
cp -r "$work/small" "$work/broken"
broken=("$work/broken/train/"*/*.JPEG)
head -c 300 "${broken[0]}" >"$work/cut" && mv "$work/cut" "${broken[0]}"
: >"${broken[1]}"
echo "not a picture" >"${broken[2]}"
small_flags=(--data="$work/broken" --image_size=16 --val_resize=16 --batch_size=12 --epochs=1)
bad=$(timeout 300 "$mpiexec" -np 2 "$strobe" train "${small_flags[@]}" --run_dir="$work/bad" 2>&1) ||
  { echo "$bad"; fail "a run with 3 unreadable images exited with $?"; }
for file in "${broken[@]:0:3}"; do
  grep -q "skipping an unreadable image, replaced by the next readable one: $file: " <<<"$bad" \
    || { echo "$bad"; fail "$file was not reported"; }
done
grep -q "3 unreadable images replaced by readable ones so far" <<<"$bad" || { echo "$bad"; fail "no count at epoch end"; }
echo "ok: 3 unreadable images replaced and reported: $(grep -m1 'skipping an unreadable' <<<"$bad")"
status=0
limited=$(timeout 300 "$mpiexec" -np 2 "$strobe" train "${small_flags[@]}" --max_bad_images=0 --run_dir="$work/limited" \
  2>&1) || status=$?
[[ $status -ne 0 ]] && grep -q "could not be read, more than --max_bad_images=0 allows; the first: $work/broken/train" <<<"$limited" \
  || { echo "$limited"; fail "--max_bad_images=0 did not stop the run (exit $status)"; }
echo "ok: past --max_bad_images the run stops (exit $status): $(grep -m1 -o '[0-9]* images of .* allows' <<<"$limited")"

expect_error() {  # DIR MESSAGE
  local out code=0
  out=$(timeout 120 "$strobe" train --data="$1" --image_size=16 --val_resize=16 --batch_size=8 --run_dir="$work/r$RANDOM" 2>&1) || code=$?
  [[ $code -ne 0 ]] && grep -qF "$2" <<<"$out" || { echo "$out"; fail "expected exit != 0 and '$2' (exit $code)"; }
  echo "ok: exit $code: $(grep -m1 'error' <<<"$out")"
}
# A split where no image can be read stops at once, naming a file, instead of training on empty slots.
cp -r "$work/small" "$work/unreadable"
for image in "$work/unreadable/train/"*/*; do echo "not a picture" >"$image"; done
expect_error "$work/unreadable" "could be read; the first: $work/unreadable/train/class_"
cp -r "$work/small" "$work/noval" && rm -r "$work/noval/val"
expect_error "$work/noval" "$work/noval/val: missing"
cp -r "$work/small" "$work/empty" && mkdir "$work/empty/train/class_10"
expect_error "$work/empty" "$work/empty/train/class_10: empty class folder"
cp -r "$work/small" "$work/text" && echo notes >"$work/text/train/class_00/notes.txt"
expect_error "$work/text" "$work/text/train/class_00/notes.txt: not an image file"
cp -r "$work/small" "$work/other" && mv "$work/other/val/class_09" "$work/other/val/class_99"
expect_error "$work/other" "val/ and train/ hold different class folders"

# The index cache follows the tree: a new image in a class folder is seen on the next start.
samples() { timeout 120 "$strobe" train --data="$work/small" --image_size=16 --val_resize=16 --batch_size=8 \
  --epochs=1 --run_dir="$work/s$1" 2>&1 | sed -n 's/^strobe: training .* on \([0-9]*\) samples.*/\1/p'; }
first=$(samples 1)
cp "$(ls -d "$work"/small/train/class_00/*.JPEG | head -1)" "$work/small/train/class_00/zz-new.JPEG"
second=$(samples 2)
[[ $first -eq 60 && $second -eq 61 ]] || fail "index cache: $first then $second samples (expected 60 then 61)"
echo "ok: index cache refreshed when a class folder changed ($first -> $second samples)"
# Reproducible: augmentation draws depend on (seed, epoch, sample) only, not on decode threads, prefetching, or a
# resume in the middle of the run.
weights() { sed -n 's/^strobe: weights identical on all 2 ranks (CRC-32 \([0-9a-f]*\))$/\1/p' <<<"$1"; }
small_run() {  # NAME [flags]
  local name=$1
  shift
  timeout 200 "$mpiexec" -np 2 "$strobe" train --data="$work/small" --image_size=16 --val_resize=16 --batch_size=8 \
    --epochs=2 --checkpoint_every_steps=5 --keep_checkpoints=0 --run_dir="$work/$name" "$@" 2>&1 || fail "small run $name exited with $?"
}
reference=$(weights "$(small_run d1 --decode_threads=1 --prefetch_batches=0)")
threaded=$(weights "$(small_run d2 --decode_threads=2 --prefetch_batches=3)")
resumed=$(weights "$(small_run d3 --resume="$work/d1/checkpoints/step-000000005")")
[[ -n $reference && $reference == "$threaded" && $reference == "$resumed" ]] \
  || fail "final weights differ: 1 thread no prefetch $reference, 2 threads prefetch 3 $threaded, resumed at step 5 $resumed"
echo "ok: same final weights (CRC-32 $reference) with 1 or 2 decode threads, with or without prefetch, and resumed"

# Progressive resizing: 16-pixel crops in epoch 0, 24 from epoch 1 (evaluation at 24), announced as events; resumed
# in either epoch it ends with the straight run's weights.
sized=(--image_size=24 --val_resize=24 --image_size_schedule=16@0,24@1 --mix_partners=flip --cutmix_alpha=1)
straight=$(small_run p1 "${sized[@]}")
grep -q "epoch 0 trains on 16 x 16 images (--image_size_schedule; evaluation at 24)" <<<"$straight" &&
  grep -q "epoch 1 trains on 24 x 24 images" <<<"$straight" || { echo "$straight"; fail "no image size events"; }
from_epoch0=$(small_run p2 "${sized[@]}" --resume="$work/p1/checkpoints/step-000000005")
from_epoch1=$(small_run p3 "${sized[@]}" --resume="$work/p1/checkpoints/step-000000010")
grep -q "epoch 1 trains on 24 x 24 images" <<<"$from_epoch1" || fail "the resume in epoch 1 did not announce its size"
[[ -n $(weights "$straight") && $(weights "$straight") == "$(weights "$from_epoch0")" &&
   $(weights "$straight") == "$(weights "$from_epoch1")" ]] \
  || fail "progressive resizing: resumed weights differ from the straight run's"
# The schedule is part of the resume state: another one, or none, is refused before anything is written.
for other in "--image_size_schedule=16@0,24@2" ""; do
  status=0
  out=$(timeout 60 "$strobe" train --data="$work/small" --image_size=24 --val_resize=24 --mix_partners=flip \
    --cutmix_alpha=1 --batch_size=8 --epochs=2 $other --resume="$work/p1/checkpoints/step-000000005" \
    --run_dir="$work/p4" 2>&1) || status=$?
  expected="was trained with --image_size_schedule=16@0,24@1, but this run has ${other:-no --image_size_schedule}"
  [[ $status -ne 0 ]] && grep -qF -- "$expected: resume with the checkpoint's schedule" <<<"$out" &&
    [[ $(grep -c "^strobe: error:" <<<"$out") -eq 1 && ! -e $work/p4/checkpoints ]] ||
    { echo "$out"; fail "a resume with '${other:-no schedule}' (exit $status)"; }
done
echo "ok: progressive resizing 16 -> 24 announced by epoch, resumed in either epoch bitwise, another schedule" \
     "refused at resume"

# The ImageNet recipe's flag file is accepted (its LR plan for 8 GPUs x 256).
"$strobe" lr-plot --flagfile="$(dirname "$0")/../../deploy/recipes/imagenet_resnet50.flags" --batch_size=2048 \
  --output="$work/recipe.png" | grep -q "peak LR 0.8" || fail "the ImageNet recipe's flags were not accepted"
echo "PASS: JPEG folder input path"
