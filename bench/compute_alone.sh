#!/usr/bin/env bash
# Where a communication layer can still win: the compute of one training step, without any communication, in
# Strobe and in plain PyTorch (the DDP baseline's resnet20, no DDP), on one core each, alternating. Where both take
# the same time, Strobe's lead over DDP at that batch can be no more than DDP's own cost above its compute.
# Strobe: the medians of the step breakdown's forward, backward and optimizer over the run's second log window
# (docs/watching.md). PyTorch: forward with the cross-entropy loss, zero_grad + backward, SGD step (momentum 0.9,
# Nesterov, weight decay), timed with perf_counter, the first two steps left out.
# Usage: bench/compute_alone.sh [BUILD_DIR] [PER_RANK_BATCH] [STEPS] [REPEATS]   (defaults: build 256 12 2)
# OTHER_BUILD: another build directory (an earlier version, say) whose strobe runs in every repetition too.
set -euo pipefail
build=${1:-build}
batch=${2:-256}
steps=${3:-12}
repeats=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(( steps >= 4 && steps % 2 == 0 )) || { echo "compute_alone.sh: STEPS must be even and at least 4" >&2; exit 1; }

# One Strobe run of BUILD's binary, labelled LABEL.
strobe_alone() {
  rm -rf "$work/run"
  taskset -c 1 "$1/strobe" train --model=resnet20 --epochs=1 --threads=1 --batch_size="$batch" \
    --train_samples=$((batch * steps)) --log_every=$((steps / 2)) --eval_samples=100 --run_dir="$work/run" \
    >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  grep '"kind":"train"' "$work/run/metrics.jsonl" | tail -1 | /usr/bin/python3 -c '
import json, sys
line = json.load(sys.stdin)
f, b, o, step = (line[k + "_ms_median"] for k in ("forward", "backward", "optimizer", "step"))
print(f"{sys.argv[2]} {sys.argv[1]} per step: forward {f:.1f} + backward {b:.1f} + update {o:.1f} = {f + b + o:.1f}"
      f" ms (whole step {step:.1f} ms)")' "$batch" "$2"
}

for r in $(seq "$repeats"); do
  taskset -c 1 /usr/bin/python3 - "$here" "$batch" "$steps" <<'PY'
import sys, time
import torch
import torch.nn.functional as F
sys.path.insert(0, sys.argv[1])
import ddp_baseline
batch, steps = int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
torch.manual_seed(1)
model = ddp_baseline.make_model("resnet20")
model.train()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
images, labels = torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
forward = backward = update = 0.0
for step in range(steps):
    t0 = time.perf_counter()
    loss = F.cross_entropy(model(images), labels)
    t1 = time.perf_counter()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    t2 = time.perf_counter()
    optimizer.step()
    t3 = time.perf_counter()
    if step >= 2:
        forward, backward, update = forward + t1 - t0, backward + t2 - t1, update + t3 - t2
n = (steps - 2) / 1000
print(f"PyTorch {batch} per step: forward {forward / n:.1f} + backward {backward / n:.1f} + update {update / n:.1f}"
      f" = {(forward + backward + update) / n:.1f} ms")
PY
  strobe_alone "$build" Strobe
  if [[ -n ${OTHER_BUILD:-} ]]; then strobe_alone "$OTHER_BUILD" "$OTHER_BUILD"; fi
done
