#!/usr/bin/env bash
# The gradient-sync benchmark (bench/grad_sync_bench) between two simulated hosts, to calibrate `strobe plan`'s
# inter-node latency and bandwidth against links with known delay or rate. As root, after building:
#   bash deploy/netns/bench_links.sh [--delay_ms=MS] [--qdisc="tbf rate 1gbit burst 64kb latency 50ms"] [--iterations=N]
# The extra latency per ring step is (per-tensor − bucketed) / (2 · 156): 161 collectives against 5, two steps each
# at 2 ranks (docs/scaling_plan.md).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
link_options=()
iterations=5
for option in "$@"; do
  case $option in
    --delay_ms=* | --qdisc=*) link_options+=("$option") ;;
    --iterations=*) iterations=${option#--iterations=} ;;
    *) echo "bench_links.sh: unknown option '$option'" >&2; exit 2 ;;
  esac
done
[[ -x $repo/build/bench/grad_sync_bench ]] || { echo "bench_links.sh: build first (bash deploy/build.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'bash "$repo/deploy/netns/sim_cluster.sh" down; rm -rf "$work"' EXIT
bash "$repo/deploy/netns/sim_cluster.sh" up 2 "${link_options[@]}"
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' >"$work/hosts"
# TCP only (no shared memory) so every byte crosses the simulated links.
ip netns exec strobe-h1 mpirun --allow-run-as-root --hostfile "$work/hosts" -np 2 --map-by ppr:1:node --bind-to none \
  --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
  --mca plm_rsh_agent "$repo/deploy/netns/netns_agent.sh" -x OMP_NUM_THREADS=1 \
  "$repo/build/bench/grad_sync_bench" --iterations="$iterations"
