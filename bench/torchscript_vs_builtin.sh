#!/usr/bin/env bash
# A user's TorchScript model in Strobe, side by side (issue 22's two ratios): the torchvision model scripted by
# deploy/models/script_model.py vs Strobe's built-in model of the same architecture, and vs PyTorch
# DistributedDataParallel (gloo) training the same torchvision model in Python (bench/ddp_baseline.py --model).
# Fashion-MNIST (1 channel, 10 classes), 2 ranks of one thread under mpirun's default binding, global batch 128,
# SGD momentum 0.9 Nesterov, weight decay 5e-4 except BatchNorm/bias, LR 0.1 x 128/256 with 0.5 epoch of warmup
# then cosine, one epoch over SAMPLES, no mixing; the full test set. Within each repetition the three runs follow
# each other in a rotating order, so slow phases of a shared machine hit every side; ratios are medians of the
# repetitions' paired ratios.
# Usage: bench/torchscript_vs_builtin.sh [BUILD_DIR] [SAMPLES] [REPEATS] [MODEL]
#   (needs /usr/bin/python3 with python3-torch and python3-torchvision; defaults: build 15360 3 resnet18; MODEL is
#   one of Strobe's built-ins that torchvision also has: resnet18 or resnet50)
set -euo pipefail
build=${1:-build}
samples=${2:-15360}
repeats=${3:-3}
model=${4:-resnet18}
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv
/usr/bin/python3 "$here/../deploy/models/script_model.py" "$model" --num_classes=10 --in_channels=1 --seed=1 \
  --output="$work/$model.pt" >&2

# Appends "SIDE REPETITION IMG/S ACCURACY" to $results.
strobe_run() {  # SIDE MODEL REPETITION
  local out
  rm -rf "$work/run"
  out=$(mpirun -np 2 "$build/strobe" train --model="$2" --epochs=1 --batch_size=128 --lr=0.1 --warmup_epochs=0.5 \
    --seed=1 --threads=1 --log_every=100000 --train_samples="$samples" --run_dir="$work/run" 2>&1) ||
    { echo "$out" >&2; echo "strobe run failed: $1" >&2; exit 1; }
  printf '%s\t%s\t%s\n' "$1" "$3" \
    "$(sed -n 's/^strobe: done: .* steps, \([0-9.]*\) img\/s, test accuracy \([0-9.]*\) .*/\1\t\2/p' <<<"$out")" \
    >>"$results"
}
ddp_run() {  # REPETITION
  local out
  out=$(mpirun -np 2 /usr/bin/python3 "$here/ddp_baseline.py" --model="$model" --ranks=2 --threads=1 \
    --batch_size=128 --lr=0.1 --warmup_epochs=0.5 --seed=1 --train_samples="$samples" 2>&1) ||
    { echo "$out" >&2; echo "ddp run failed" >&2; exit 1; }
  printf 'ddp\t%s\t%s\n' "$1" \
    "$(sed -n 's/.*"images_per_s": \([0-9.]*\), "test_accuracy": \([0-9.]*\).*/\1\t\2/p' <<<"$out")" >>"$results"
}
run_side() {  # SIDE REPETITION
  case $1 in
    builtin) strobe_run builtin "$model" "$2" ;;
    scripted) strobe_run scripted "$work/$model.pt" "$2" ;;
    ddp) ddp_run "$2" ;;
  esac
}

sides=(builtin scripted ddp)
for ((r = 1; r <= repeats; ++r)); do
  for ((i = 0; i < 3; ++i)); do run_side "${sides[(i + r - 1) % 3]}" "$r"; done
  echo "done: repetition $r/$repeats" >&2
done

echo "$model / Fashion-MNIST, 2 ranks x 1 thread, global batch 128, $samples training samples per run, $repeats repetitions"
/usr/bin/python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().split("\n") if line]
runs = {}
for side, rep, speed, accuracy in rows:
    runs.setdefault(side, {})[int(rep)] = (float(speed), float(accuracy))
names = {"builtin": "Strobe, built-in model", "scripted": "Strobe, scripted torchvision model (--model=PATH.pt)",
         "ddp": "PyTorch DDP (gloo), torchvision model"}
print("| side | img/s per repetition | median img/s | test accuracy per repetition |")
print("| --- | --- | --- | --- |")
for side in ("builtin", "scripted", "ddp"):
    reps = sorted(runs[side])
    print(f"| {names[side]} | {', '.join(f'{runs[side][r][0]:.1f}' for r in reps)} | "
          f"{statistics.median(runs[side][r][0] for r in reps):.1f} | "
          f"{', '.join(f'{runs[side][r][1]:.4f}' for r in reps)} |")
for top, bottom, target in (("scripted", "builtin", 0.95), ("scripted", "ddp", 1.1)):
    ratios = sorted(runs[top][r][0] / runs[bottom][r][0] for r in runs[top])
    print(f"{top} / {bottom}: median {statistics.median(ratios):.3f}x (range {ratios[0]:.3f}-{ratios[-1]:.3f}), "
          f"target >= {target}x: {'met' if statistics.median(ratios) >= target else 'MISSED'}")
PY
