#!/usr/bin/env bash
# End to end, --data_order=streamed on WebDataset tar shards:
#  1. 2 ranks, 2 epochs, 8000 Fashion-MNIST images in 8 shards: the streamed order trains to the shuffled order's
#     accuracy band (>= 0.70 and within 0.03 of it on the same shards);
#  2. with --shuffle_window=1 each rank reads its stream front to back: its sample indices only jump where a shard
#     ends;
#  3. a mid-epoch checkpoint resumes bitwise on 2 ranks, and on 1 rank with --data_streams=2 visits the 2-rank run's
#     global order; without it the resume is refused with the order to use; bad flags and IDX data are errors.
# Usage: streamed_shards_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$strobe" make-image-folder "$work/shards" --data="$data" --train_samples=8000 --eval_samples=2000 \
  --folder_image_size=32 --folder_format=tar >/dev/null
accuracy() { sed -n 's/^strobe: done: .* test accuracy \([0-9.]*\) (2000 images)$/\1/p' <<<"$1"; }
big_run() {  # NAME [flags]
  local name=$1
  shift
  timeout 400 "$mpiexec" -np 2 "$strobe" train --data="$work/shards" --image_size=32 --val_resize=32 --crop_scale_min=1 \
    --uint8_batches --epochs=2 --batch_size=128 --log_every=20 --progress=lines --run_dir="$work/$name" "$@" 2>&1 \
    || fail "run $name exited with $?"
}
shuffled=$(accuracy "$(big_run shuffled)")
streamed=$(accuracy "$(big_run streamed --data_order=streamed --shuffle_window=256)")
awk -v s="$shuffled" -v t="$streamed" 'BEGIN { d = s - t; if (d < 0) d = -d; exit !(t >= 0.7 && d <= 0.03) }' \
  || fail "accuracy: shuffled $shuffled, streamed $streamed (streamed must be >= 0.70, within 0.03)"
echo "ok: 2 ranks, 2 epochs, 8 shards: shuffled order accuracy $shuffled, streamed order $streamed"

# 400 images in 8 shards of 50; batch 8 from 2 streams: 50 steps per epoch.
"$strobe" make-image-folder "$work/small" --data="$data" --train_samples=400 --eval_samples=100 \
  --folder_image_size=16 --folder_format=tar --folder_shard_size=50 >/dev/null
small_run() {  # RANKS NAME [flags]
  local ranks=$1 name=$2
  shift 2
  timeout 200 "$mpiexec" -np "$ranks" "$strobe" train --data="$work/small" --image_size=16 --val_resize=16 \
    --batch_size=8 --epochs=2 --data_order=streamed --shuffle_window=1 --checkpoint_every_steps=5 \
    --keep_checkpoints=0 --trace --run_dir="$work/$name" "$@" 2>&1
}
weights() { sed -n 's/^strobe: weights identical on all [0-9]* ranks (CRC-32 \([0-9a-f]*\))$/\1/p' <<<"$1"; }
reference=$(small_run 2 A) || { echo "$reference"; fail "streamed run A exited with $?"; }
for rank in 0 1; do
  # Steps 0-49 are epoch 1: a jump (an index that does not follow the previous one) only where a shard ends.
  jumps=$(awk '$1 < 50 { for (i = 3; i <= NF; ++i) { if (n++ && $i != last + 1) ++j; last = $i } } END { print j + 0 }' \
    "$work/A/trace/rank-0000$rank.txt")
  [[ $jumps -le 3 ]] || fail "rank $rank's epoch-1 indices jump $jumps times; its stream covers 4 shards (at most 3 jumps)"
done
echo "ok: with --shuffle_window=1 each rank reads its stream front to back (jumps only between shards)"
resumed=$(small_run 2 B --resume="$work/A/checkpoints/step-000000005") || { echo "$resumed"; fail "resume on 2 ranks exited"; }
[[ -n $(weights "$reference") && $(weights "$reference") == $(weights "$resumed") ]] \
  || fail "resumed at step 5 on 2 ranks: final weights $(weights "$resumed"), straight run $(weights "$reference")"
one=$(small_run 1 C --resume="$work/A/checkpoints/step-000000005" --data_streams=2) || { echo "$one"; fail "resume on 1 rank exited"; }
diff <(global_order_from "$work/A" 5) <(global_order_from "$work/C" 5) >/dev/null \
  || fail "resumed on 1 rank with --data_streams=2, the global sample order differs from the 2-rank run's"
echo "ok: a mid-epoch checkpoint resumes bitwise on 2 ranks, and on 1 rank (--data_streams=2) in the same order"

status=0
refused=$(small_run 1 D --resume="$work/A/checkpoints/step-000000005") || status=$?
[[ $status -ne 0 ]] && grep -q "mid-epoch under the data order 'streamed: --data_streams=2 --shuffle_window=1 --batch_size=8'" <<<"$refused" \
  || { echo "$refused"; fail "resume on 1 rank without --data_streams=2 (exit $status)"; }
echo "ok: a resume that would change the streams is refused: $(grep -m1 -o "checkpoint .*order '[^']*'" <<<"$refused")"
# At an epoch's end any order may follow: the end of epoch 1 (step 50) resumes on 1 rank, shuffled.
switched=$(timeout 200 "$mpiexec" -np 1 "$strobe" train --data="$work/small" --image_size=16 --val_resize=16 \
  --batch_size=8 --epochs=2 --run_dir="$work/E" --resume="$work/A/checkpoints/step-000000050" 2>&1) \
  || { echo "$switched"; fail "resume of the epoch-end checkpoint in the shuffled order exited"; }
grep -q "resumed from .*step-000000050: step 50, epoch 2, 0 samples" <<<"$switched" || { echo "$switched"; fail "no resume line"; }
echo "ok: an epoch-end checkpoint resumes under another order"
expect_error() {  # TEXT [train flags]
  local text=$1 out status=0
  shift
  out=$("$strobe" train --run_dir="$work/bad" "$@" 2>&1) || status=$?
  [[ $status -ne 0 ]] && grep -qF -- "$text" <<<"$out" || { echo "$out"; fail "expected an error with '$text' (exit $status)"; }
}
expect_error "--data_order=streamed reads WebDataset tar shards" --data="$data" --data_order=streamed --train_samples=64
expect_error "is not divisible by --data_streams=3" --data="$work/small" --data_order=streamed --data_streams=3
expect_error "--data_order=random is not one of shuffled, streamed" --data="$work/small" --data_order=random
expect_error "--data_streams and --shuffle_window apply to --data_order=streamed only" --data="$work/small" --shuffle_window=64
echo "PASS: streamed tar shards"
