#!/usr/bin/env bash
# What one progress report costs across two simulated hosts at a link delay, this build against another: the same
# 2-host run (resnet20, 1 rank x 1 thread per host, 64 samples per rank, Mixup/CutMix + label smoothing, 3,840
# samples: 30 steps) with a report after every step (--log_every=1) and with only the final one, in alternating
# runs. Timed by the final evaluation's `elapsed_s` in metrics.jsonl (from launch), since the img/s figure leaves
# the reports' own time out. A report's cost is the difference of a pair over the 29 extra reports.
# As root, after building (bash deploy/build.sh):
#   bash bench/report_cost.sh BUILD_DIR OTHER_BUILD_DIR [DELAY_MS] [REPEATS]   (defaults: 10 ms, 3 pairs)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: bench/report_cost.sh BUILD_DIR OTHER_BUILD_DIR [DELAY_MS] [REPEATS]"
[[ $# -ge 2 ]] || { echo "$usage" >&2; exit 2; }
build=$(cd "$1" && pwd)
other=$(cd "$2" && pwd)
delay=${3:-10}
repeats=${4:-3}
[[ $(id -u) -eq 0 ]] || { echo "report_cost.sh: network namespaces need root" >&2; exit 1; }
for dir in "$build" "$other"; do
  [[ -x $dir/strobe ]] || { echo "report_cost.sh: no $dir/strobe (bash deploy/build.sh)" >&2; exit 1; }
done
export STROBE_LINK_DELAY=$build/deploy/netns/strobe_link_delay
work=$(mktemp -d)
trap 'bash "$repo/deploy/netns/sim_cluster.sh" down >/dev/null 2>&1; rm -rf "$work"' EXIT
source "$repo/bench/two_hosts.sh"
link=()
((delay > 0)) && link=(--delay_ms="$delay")
bash "$repo/deploy/netns/sim_cluster.sh" up 2 "${link[@]}" >/dev/null

elapsed() {  # BINARY LOG_EVERY RUN_DIR: the final evaluation's elapsed_s
  two_host_mpirun 600 "$1" train --model=resnet20 --threads=1 --epochs=1 --batch_size=128 --lr=0.1 \
    --warmup_epochs=0.5 --seed=1 --train_samples=3840 --mixup_alpha=0.8 --cutmix_alpha=1.0 --label_smoothing=0.1 \
    --log_every="$2" --eval_samples=1000 --run_dir="$3" >"$3.out" 2>&1 \
    || { cat "$3.out" >&2; echo "report_cost.sh: $1 failed" >&2; exit 1; }
  grep '"kind":"eval"' "$3/metrics.jsonl" | tail -1 | sed -n 's/.*"elapsed_s":\([0-9.]*\).*/\1/p'
}

echo "resnet20, 2 simulated hosts x 1 rank x 1 thread, $delay ms one-way delay, 30 steps, $repeats alternating pairs"
echo "| build | run | every step: elapsed_s | final report only | cost of one report |"
echo "| --- | --- | --- | --- | --- |"
for ((r = 1; r <= repeats; ++r)); do
  for side in "$build" "$other"; do
    every=$(elapsed "$side/strobe" 1 "$work/run-$r-every")
    final=$(elapsed "$side/strobe" 100000 "$work/run-$r-final")
    rm -rf "$work/run-$r-every" "$work/run-$r-final"
    printf '%s\t%s\t%s\t%s\n' "$side" "$r" "$every" "$final" >>"$work/results.tsv"
    awk -v b="$side" -v r="$r" -v e="$every" -v f="$final" \
      'BEGIN { printf "| %s | %d | %.3f | %.3f | %.1f ms |\n", b, r, e, f, (e - f) / 29 * 1e3 }'
  done
done
awk -F'\t' '{ sum[$1] += ($3 - $4) / 29 * 1e3; n[$1]++ }
  END { for (b in sum) printf "%s: %.1f ms per report (mean of %d pairs)\n", b, sum[b] / n[b], n[b] }' \
  "$work/results.tsv"
