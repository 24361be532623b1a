#!/usr/bin/env bash
# Training throughput across two simulated hosts, Strobe vs PyTorch DDP (gloo), at several link latencies: the
# simulated cluster (deploy/netns/sim_cluster.sh, one rank per host, TCP over veth links) with every packet a host
# receives held D ms (--delay_ms=D). resnet20 on Fashion-MNIST, 1 thread per rank, 64 samples per rank per step,
# Mixup 0.8 + CutMix 1.0 with label smoothing 0.1, the same optimizer, schedule and samples on both sides, both
# launched by mpirun from host 1. Runs alternate (Strobe, DDP, Strobe, DDP, ...) so the machine's slow phases hit
# both sides; a row's ratio is the median of the paired ratios.
# As root, after building (bash deploy/build.sh) with python3-torch installed (deploy/install.sh --bench):
#   bash bench/multihost_vs_ddp.sh [BUILD_DIR] [SAMPLES] [REPEATS] [DELAYS]
#   (defaults: build 7680 3 "0 2 5 10")
# STROBE_EXTRA: more flags for strobe train (e.g. --bucket_cap_mb=1); DDP_EXTRA: more for bench/ddp_baseline.py (e.g.
# "--amp=bf16 --channels_last" beside STROBE_EXTRA's same two, for both sides in bf16 autocast). OTHER_BUILD: another build directory (an
# earlier version, say) whose strobe runs in every repetition too, as a third column with its own ratio.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
samples=${2:-7680}
repeats=${3:-3}
delays=${4:-0 2 5 10}
[[ $(id -u) -eq 0 ]] || { echo "multihost_vs_ddp.sh: network namespaces need root" >&2; exit 1; }
[[ -x $build/strobe ]] || { echo "multihost_vs_ddp.sh: no $build/strobe (bash deploy/build.sh)" >&2; exit 1; }
/usr/bin/python3 -c 'import torch' 2>/dev/null \
  || { echo "multihost_vs_ddp.sh: /usr/bin/python3 cannot import torch (deploy/install.sh --bench)" >&2; exit 1; }
export STROBE_LINK_DELAY=$build/deploy/netns/strobe_link_delay
work=$(mktemp -d)
trap 'bash "$repo/deploy/netns/sim_cluster.sh" down >/dev/null 2>&1; rm -rf "$work"' EXIT
source "$repo/bench/two_hosts.sh"
results=$work/results.tsv

strobe_run() {  # DELAY REPETITION [SIDE BUILD]: appends "delay repetition side img/s"
  local out side=${3:-strobe} binary=${4:-$build}/strobe
  out=$(two_host_mpirun 900 "$binary" train --model=resnet20 \
        --threads=1 --epochs=1 --batch_size=128 --lr=0.1 --warmup_epochs=0.5 --seed=1 --train_samples="$samples" \
        --mixup_alpha=0.8 --cutmix_alpha=1.0 --label_smoothing=0.1 --log_every=100000 --eval_samples=1000 \
        --run_dir="$work/run-$1-$2-$side" ${STROBE_EXTRA:-} 2>&1) \
    || { echo "$out" >&2; echo "multihost_vs_ddp.sh: $binary failed at $1 ms" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$side" \
    "$(sed -n 's/^strobe: done: .* steps, \([0-9.]*\) img\/s.*/\1/p' <<<"$out")" >>"$results"
}

ddp_run() {  # DELAY REPETITION
  local out
  # gloo binds to the interface named by GLOO_SOCKET_IFNAME, which differs per host: each rank looks its own up.
  out=$(two_host_mpirun 900 /bin/bash -c \
        'export GLOO_SOCKET_IFNAME=$(ip -o -4 addr show to 10.77.0.0/24 | awk "{ print \$2 }"); exec "$@"' ddp \
        /usr/bin/python3 "$repo/bench/ddp_baseline.py" --ranks=2 --threads=1 --batch_size=128 --lr=0.1 \
        --warmup_epochs=0.5 --seed=1 --train_samples="$samples" --mix --master_addr=10.77.0.1 ${DDP_EXTRA:-} 2>&1) \
    || { echo "$out" >&2; echo "multihost_vs_ddp.sh: ddp run failed at $1 ms" >&2; exit 1; }
  printf '%s\t%s\tddp\t%s\n' "$1" "$2" "$(sed -n 's/.*"images_per_s": \([0-9.]*\).*/\1/p' <<<"$out")" >>"$results"
}

for delay in $delays; do
  if ((delay > 0)); then
    bash "$repo/deploy/netns/sim_cluster.sh" up 2 --delay_ms="$delay" >/dev/null
  else
    bash "$repo/deploy/netns/sim_cluster.sh" up 2 >/dev/null
  fi
  for ((r = 1; r <= repeats; ++r)); do
    strobe_run "$delay" "$r"
    ddp_run "$delay" "$r"
    if [[ -n ${OTHER_BUILD:-} ]]; then strobe_run "$delay" "$r" other "$(cd "$OTHER_BUILD" && pwd)"; fi
    echo "done: $delay ms, repetition $r/$repeats" >&2
  done
done

echo "resnet20 / Fashion-MNIST, 2 simulated hosts x 1 rank x 1 thread, 64 samples per rank, Mixup/CutMix +" \
     "label smoothing, $samples samples per run, $repeats repetitions ${STROBE_EXTRA:+(strobe: $STROBE_EXTRA)}" \
     "${DDP_EXTRA:+(ddp: $DDP_EXTRA)}"
if [[ -n ${OTHER_BUILD:-} ]]; then
  echo "| one-way delay | Strobe img/s | DDP img/s | Strobe / DDP (median of pairs) | $OTHER_BUILD img/s |" \
       "Strobe / it |"
  echo "| --- | --- | --- | --- | --- | --- |"
else
  echo "| one-way delay | Strobe img/s | DDP img/s | Strobe / DDP (median of pairs) |"
  echo "| --- | --- | --- | --- |"
fi
awk -F'\t' -v other="${OTHER_BUILD:+1}" '
  { v[$1, $2, $3] = $4; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } if ($2 > reps) reps = $2 }
  function median(a, k,   i, j, t) {
    for (i = 1; i <= k; ++i) for (j = i + 1; j <= k; ++j) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    for (i = 1; i <= n; ++i) {
      d = order[i]; s = ""; p = ""; o = ""
      for (r = 1; r <= reps; ++r) {
        s = s (r > 1 ? ", " : "") v[d, r, "strobe"]; p = p (r > 1 ? ", " : "") v[d, r, "ddp"]
        o = o (r > 1 ? ", " : "") v[d, r, "other"]
        ratio[r] = v[d, r, "strobe"] / v[d, r, "ddp"]
        if (other) versus[r] = v[d, r, "strobe"] / v[d, r, "other"]
      }
      printf "| %s ms | %s | %s | %.2fx |", d, s, p, median(ratio, reps)
      if (other) printf " %s | %.2fx |", o, median(versus, reps)
      printf "\n"
    }
  }' "$results"
