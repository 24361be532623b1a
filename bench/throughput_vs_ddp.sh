#!/usr/bin/env bash
# Training throughput, Strobe vs PyTorch DistributedDataParallel (gloo, CPU), as a sweep printed as one table:
# per-rank batch 32, 64, 128, 256 x launch (mpirun's default binding: one core per rank; --bind-to none) x mixing
# (off; Mixup 0.8 + CutMix 1.0 with label smoothing 0.1). resnet20 on Fashion-MNIST, 2 ranks of one thread each,
# the same optimizer, LR schedule, samples and launcher on both sides. Within each repetition the runs alternate
# (Strobe, DDP, Strobe, DDP, ...), so slow phases of a shared machine hit both sides; a cell's figures are medians
# over the repetitions and its ratio the median of the paired ratios.
# Per (batch, mixing) and repetition it also times Strobe on one rank alone (no mpirun) and two independent one-rank
# Strobe processes at once, one per core, each over half the samples, so that every run has the same number of
# steps (and of slow first steps): 2-rank efficiency = 2-rank img/s / (2 x one rank's img/s), and the pair's
# efficiency is the most that two processes get out of this machine without any communication.
# Usage: bench/throughput_vs_ddp.sh [BUILD_DIR] [SAMPLES] [REPEATS] [SEED] [BATCHES]
#   (needs /usr/bin/python3 with python3-torch; defaults: build 7680 3 1 "32 64 128 256"; SAMPLES must be a
#   multiple of 2 x every per-rank batch)
set -euo pipefail
build=${1:-build}
samples=${2:-7680}
repeats=${3:-3}
seed=${4:-1}
batches=${5:-32 64 128 256}
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS  # --threads=1 and torch.set_num_threads(1) alone must hold each rank to one thread
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv
mix_flags=(--mixup_alpha=0.8 --cutmix_alpha=1.0 --label_smoothing=0.1)

# Each run appends one row to $results: per-rank batch, mixing, launch, repetition, side, img/s, test accuracy.
# strobe_run RANKS LAUNCH MIX GLOBAL_BATCH REPETITION
strobe_run() {
  local ranks=$1 launch=$2 mix=$3 batch=$4 r=$5 out
  local args=(train --model=resnet20 --epochs=1 --batch_size="$batch" --lr=0.1 --warmup_epochs=0.5 --seed="$seed"
              --threads=1 --log_every=100000 --train_samples=$((samples * ranks / 2)) --run_dir="$work/run")
  [[ $mix == on ]] && args+=("${mix_flags[@]}")
  rm -rf "$work/run"
  case $launch in
    alone) out=$("$build/strobe" "${args[@]}" 2>&1) ;;
    bound) out=$(mpirun -np "$ranks" "$build/strobe" "${args[@]}" 2>&1) ;;
    none) out=$(mpirun -np "$ranks" --bind-to none "$build/strobe" "${args[@]}" 2>&1) ;;
  esac || { echo "$out" >&2; echo "strobe run failed: $ranks ranks, $launch, mixing $mix" >&2; exit 1; }
  local side=strobe; [[ $launch == alone ]] && side=strobe1
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' $((batch / ranks)) "$mix" "$launch" "$r" "$side" \
    "$(sed -n 's/^strobe: done: .* steps, \([0-9.]*\) img\/s, test accuracy \([0-9.]*\) .*/\1\t\2/p' <<<"$out")" \
    >>"$results"
}

ddp_run() {
  local launch=$1 mix=$2 batch=$3 r=$4 out
  local args=("$here/ddp_baseline.py" --ranks=2 --threads=1 --batch_size="$batch" --lr=0.1 --warmup_epochs=0.5
              --seed="$seed" --train_samples="$samples")
  [[ $mix == on ]] && args+=(--mix)
  case $launch in
    bound) out=$(mpirun -np 2 /usr/bin/python3 "${args[@]}" 2>&1) ;;
    none) out=$(mpirun -np 2 --bind-to none /usr/bin/python3 "${args[@]}" 2>&1) ;;
  esac || { echo "$out" >&2; echo "ddp run failed: $launch, mixing $mix" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\tddp\t%s\n' $((batch / 2)) "$mix" "$launch" "$r" \
    "$(sed -n 's/.*"images_per_s": \([0-9.]*\), "test_accuracy": \([0-9.]*\).*/\1\t\2/p' <<<"$out")" >>"$results"
}

# Two one-rank runs at once, pinned to cores 0 and 1: their summed img/s.
pair_run() {
  local mix=$1 batch=$2 r=$3 a b
  local args=(train --model=resnet20 --epochs=1 --batch_size="$batch" --lr=0.1 --warmup_epochs=0.5 --seed="$seed"
              --threads=1 --log_every=100000 --train_samples=$((samples / 2)))
  [[ $mix == on ]] && args+=("${mix_flags[@]}")
  rm -rf "$work/pair0" "$work/pair1"
  taskset -c 0 "$build/strobe" "${args[@]}" --run_dir="$work/pair0" >"$work/pair0.out" 2>&1 &
  local first=$!
  taskset -c 1 "$build/strobe" "${args[@]}" --run_dir="$work/pair1" >"$work/pair1.out" 2>&1 \
    || { cat "$work/pair1.out" >&2; echo "strobe pair run failed" >&2; exit 1; }
  wait "$first" || { cat "$work/pair0.out" >&2; echo "strobe pair run failed" >&2; exit 1; }
  a=$(sed -n 's/^strobe: done: .* steps, \([0-9.]*\) img\/s.*/\1/p' "$work/pair0.out")
  b=$(sed -n 's/^strobe: done: .* steps, \([0-9.]*\) img\/s.*/\1/p' "$work/pair1.out")
  awk -v a="$a" -v b="$b" -v batch="$batch" -v mix="$mix" -v r="$r" \
    'BEGIN { printf "%s\t%s\tpair\t%s\tpair\t%.1f\t-\n", batch, mix, r, a + b }' >>"$results"
}

for batch in $batches; do
  for mix in off on; do
    for ((r = 1; r <= repeats; ++r)); do
      for launch in bound none; do
        strobe_run 2 "$launch" "$mix" $((2 * batch)) "$r"
        ddp_run "$launch" "$mix" $((2 * batch)) "$r"
      done
      strobe_run 1 alone "$mix" "$batch" "$r"
      pair_run "$mix" "$batch" "$r"
      echo "done: per-rank batch $batch, mixing $mix, repetition $r/$repeats" >&2
    done
  done
done

echo "resnet20 / Fashion-MNIST, 2 ranks x 1 thread, $samples training samples per run, seed $seed, median of $repeats"
/usr/bin/python3 "$here/throughput_table.py" "$results"
