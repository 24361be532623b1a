#!/usr/bin/env bash
# `strobe plan`'s projection against measured training across two simulated hosts, at several link delays
# (docs/scaling_plan.md, "Projected against measured"). For each delay D it
#   1. calibrates the inter-host latency per ring step (α) and bus bandwidth from deploy/netns/bench_links.sh
#      (ResNet-50's gradients bucketed and per tensor: α = (per-tensor − bucketed) / (2 · 156),
#      bandwidth = bytes / (bucketed − 2 · buckets · α)),
#   2. measures resnet20's step across the two hosts (one rank each, 1 thread, 64 samples per rank, Mixup/CutMix +
#      label smoothing: bench/multihost_vs_ddp.sh's workload) as the median step of the last log window,
#   3. projects that step with `strobe plan --plan_gpus_per_node=1` from the calibration and the compute time of one
#      rank training alone (its median step, and its backward share from the step breakdown),
# and prints projected against measured. As root, after building (bash deploy/build.sh):
#   bash bench/plan_vs_measured.sh [BUILD_DIR] [DELAYS]   (defaults: build "0 2 5 10")
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
delays=${2:-0 2 5 10}
[[ $(id -u) -eq 0 ]] || { echo "plan_vs_measured.sh: network namespaces need root" >&2; exit 1; }
[[ -x $build/strobe && -x $build/bench/grad_sync_bench ]] \
  || { echo "plan_vs_measured.sh: build strobe and bench/grad_sync_bench first (bash deploy/build.sh)" >&2; exit 1; }
export STROBE_LINK_DELAY=$build/deploy/netns/strobe_link_delay
work=$(mktemp -d)
trap 'bash "$repo/deploy/netns/sim_cluster.sh" down >/dev/null 2>&1; rm -rf "$work"' EXIT
source "$repo/bench/two_hosts.sh"
train_flags=(train --model=resnet20 --threads=1 --epochs=1 --lr=0.1 --warmup_epochs=0.5 --seed=1
             --train_samples=3840 --mixup_alpha=0.8 --cutmix_alpha=1.0 --label_smoothing=0.1 --log_every=10
             --eval_samples=500)

# The median step and backward of the last train report in run directory $1: "STEP_MS BACKWARD_MS".
last_window() {
  /usr/bin/python3 -c '
import json, sys
last = [l for l in map(json.loads, open(sys.argv[1])) if l["kind"] == "train"][-1]
print(last["step_ms_median"], last["backward_ms_median"])' "$1/metrics.jsonl"
}

# Compute alone: one rank, this machine, no network.
rm -rf "$work/alone"
"$build/strobe" "${train_flags[@]}" --batch_size=64 --train_samples=1920 --run_dir="$work/alone" >"$work/alone.out" 2>&1 \
  || { cat "$work/alone.out" >&2; exit 1; }
read -r compute_ms backward_ms < <(last_window "$work/alone")
backward_fraction=$(awk -v b="$backward_ms" -v c="$compute_ms" 'BEGIN { printf "%.3f", b / c }')

echo "resnet20, 2 simulated hosts x 1 rank x 1 thread, 64 samples per rank; compute alone $compute_ms ms per step" \
     "(backward $backward_fraction of it)"
echo "| one-way delay | α per ring step | bus bandwidth | measured step | projected step | projected / measured |"
echo "| --- | --- | --- | --- | --- | --- |"
for delay in $delays; do
  link=(); ((delay > 0)) && link=(--delay_ms="$delay")
  links=$(bash "$repo/deploy/netns/bench_links.sh" "${link[@]}" 2>&1) || { echo "$links" >&2; exit 1; }
  bucketed=$(awk '$1 == "bucketed" { print $2 }' <<<"$links")
  buckets=$(sed -n 's/.* \([0-9]*\) buckets of .*/\1/p' <<<"$links")
  per_tensor=$(awk '$1 == "per-tensor" { print $2 }' <<<"$links")
  bytes=$(sed -n 's/.*fp32 gradients (\([0-9.]*\) MB).*/\1/p' <<<"$links")
  read -r alpha_us busbw < <(awk -v b="$bucketed" -v p="$per_tensor" -v n="$buckets" -v mb="$bytes" 'BEGIN {
    alpha = (p - b) / (2 * 156); if (alpha < 0) alpha = 0
    printf "%.1f %.4f\n", alpha * 1e3, mb * 1e6 / ((b - 2 * n * alpha) * 1e-3) / 1e9 }')

  bash "$repo/deploy/netns/sim_cluster.sh" up 2 "${link[@]}" >/dev/null
  rm -rf "$work/run"
  two_host_mpirun 600 "$build/strobe" "${train_flags[@]}" --batch_size=128 --run_dir="$work/run" \
    >"$work/run.out" 2>&1 \
    || { cat "$work/run.out" >&2; exit 1; }
  read -r measured_ms _ < <(last_window "$work/run")

  projected_ms=$("$build/strobe" plan --model=resnet20 --plan_classes=10 --plan_in_channels=1 --plan_gpus_per_node=1 \
                   --plan_max_gpus=2 \
                   --plan_inter_latency_us="$alpha_us" --plan_inter_busbw="$busbw" --plan_compute_ms="$compute_ms" \
                   --plan_backward_fraction="$backward_fraction" --output="$work/plan-$delay.png" | awk '$1 == 2 { print $5 }')
  awk -v d="$delay" -v a="$alpha_us" -v bw="$busbw" -v m="$measured_ms" -v p="$projected_ms" 'BEGIN {
    printf "| %s ms | %.0f µs | %.3f GB/s | %.1f ms | %.1f ms | %.2f |\n", d, a, bw, m, p, p / m }'
done
