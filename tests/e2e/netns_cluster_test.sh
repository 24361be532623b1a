#!/usr/bin/env bash
# Training across two simulated hosts: network namespaces joined by veth links (deploy/netns/sim_cluster.sh), Open
# MPI started in host 1 and reaching host 2 through its remote-shell agent (deploy/netns/netns_agent.sh instead of
# ssh), launched with deploy/launch_mpirun.sh and a hostfile; ranks talk TCP over the links. Checks that rank 1 was
# started inside host 2's namespace, that training finished with bit-identical weights on both ranks, and that
# shaping the links to 50 Mbit/s (tc tbf) or delaying every packet 20 ms slows the run; a host that cannot be
# reached fails the launch at once.
# Needs root and network namespaces: otherwise it says why and
# exits 77 (CTest: skipped).
# Usage: netns_cluster_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
skip() { echo "SKIP: $*"; exit 77; }
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "simulating hosts with network namespaces needs root"
ip netns add strobe-probe 2>/dev/null || skip "this system does not allow network namespaces (ip netns add failed)"
ip netns delete strobe-probe
work=$(mktemp -d)
trap 'bash "$repo/deploy/netns/sim_cluster.sh" down; rm -rf "$work"' EXIT
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' >"$work/hosts"
[[ $1 == "$repo/build/strobe" ]] || fail "launch_mpirun.sh runs $repo/build/strobe, not $1"

train() {  # NAME: trains across the simulated hosts into $work/NAME; prints img/s
  STROBE_NET_IFACE=10.77.0.0/24 STROBE_RSH_AGENT="$repo/deploy/netns/netns_agent.sh" STROBE_THREADS=1 \
    timeout 240 ip netns exec strobe-h1 bash "$repo/deploy/launch_mpirun.sh" "$work/hosts" 1 train --data="$data" \
    --train_samples=1024 --batch_size=64 --eval_samples=200 --log_every=4 --run_dir="$work/$1" >"$work/$1.log" 2>&1 \
    || { cat "$work/$1.log"; fail "training across simulated hosts ($1) exited with $?"; }
  grep -q "strobe: weights identical on all 2 ranks" "$work/$1.log" || { cat "$work/$1.log"; fail "$1: no weight check"; }
  grep -o 'done: [0-9]* steps, [0-9.]* img/s' "$work/$1.log" | awk '{ print $4 }'
}

bash "$repo/deploy/netns/sim_cluster.sh" up 2
fast=$(train fast)
grep -q "10.77.0.2 -> strobe-h2: .*orted" /run/strobe-sim-cluster/agent.log || fail "no daemon was started in host 2"
bash "$repo/deploy/netns/sim_cluster.sh" up 2 --qdisc="tbf rate 50mbit burst 64kb latency 200ms"
slow=$(train slow)
echo "ok: 2 simulated hosts over TCP: $fast img/s on free links, $slow img/s on 50 Mbit/s links"
awk -v fast="$fast" -v slow="$slow" 'BEGIN { exit !(slow < 0.8 * fast) }' || fail "shaping the links did not slow training"

# Added latency: every packet a host receives is held 20 ms (strobe_link_delay; this kernel may lack sch_netem).
link_delay=$repo/build/deploy/netns/strobe_link_delay
if [[ -x $link_delay ]] && command -v iptables-legacy >/dev/null; then
  bash "$repo/deploy/netns/sim_cluster.sh" up 2 --delay_ms=20
  # A TCP handshake (SYN to host 2, SYN-ACK or RST back) crosses both links: at least 40 ms.
  connect_ms=$(ip netns exec strobe-h1 bash -c \
    'start=$(date +%s%N); (exec 3<>/dev/tcp/10.77.0.2/9) 2>/dev/null; echo $(( ($(date +%s%N) - start) / 1000000 ))')
  (( connect_ms >= 40 )) || fail "a round trip over links with 20 ms delay took $connect_ms ms"
  delayed=$(train delayed)
  echo "ok: links with 20 ms one-way delay: round trip $connect_ms ms, $delayed img/s (free links: $fast img/s)"
  awk -v fast="$fast" -v slow="$delayed" 'BEGIN { exit !(slow < 0.8 * fast) }' || fail "link delay did not slow training"
else
  fail "link delay needs $link_delay (libnetfilter-queue-dev at build time) and iptables-legacy: deploy/install.sh --test"
fi

# A host that cannot be reached: the launch fails at once with Open MPI's message, no rank waits forever.
bash "$repo/deploy/netns/sim_cluster.sh" up 3
ip -n strobe-h3 link set veth-h3 down
printf '10.77.0.1 slots=1\n10.77.0.3 slots=1\n' >"$work/hosts-unreachable"
status=0
started=$(date +%s)
output=$(STROBE_NET_IFACE=10.77.0.0/24 STROBE_RSH_AGENT="$repo/deploy/netns/netns_agent.sh" timeout 120 \
  ip netns exec strobe-h1 bash "$repo/deploy/launch_mpirun.sh" "$work/hosts-unreachable" 1 train --data="$data" \
  --train_samples=512 --run_dir="$work/unreachable" 2>&1) || status=$?
[[ $status -ne 0 && $status -ne 124 ]] || { echo "$output"; fail "an unreachable host gave exit $status"; }
grep -q "ORTE was unable to reliably start one or more daemons" <<<"$output" || { echo "$output"; fail "no launch error"; }
echo "ok: unreachable host: mpirun failed after $(( $(date +%s) - started )) s: ORTE was unable to reliably start one or more daemons"
echo "PASS: trained across 2 simulated hosts (rank 1 in host 2's namespace), identical weights, link shaping visible,"\
     "an unreachable host fails fast"
