#!/usr/bin/env bash
# A simulated cluster on one machine: N "hosts" as Linux network namespaces, each with a veth link to a bridge in a
# hub namespace (a switch), so ranks on different hosts talk TCP over real (virtual) links. As root:
#   bash deploy/netns/sim_cluster.sh up 2 [tc qdisc for every host's link, e.g. "netem delay 2ms rate 1gbit" or
#                                          "tbf rate 1gbit burst 32kbit latency 50ms"]
#   bash deploy/netns/sim_cluster.sh down
# Host i is namespace strobe-h<i> with address 10.77.0.<i>/24; /run/strobe-sim-cluster/hosts maps addresses to
# namespaces for netns_agent.sh (Open MPI's plm_rsh_agent).
set -euo pipefail
readonly dir=/run/strobe-sim-cluster
readonly hub=strobe-hub
readonly link_delay=${STROBE_LINK_DELAY:-$(cd "$(dirname "$0")/../.." && pwd)/build/deploy/netns/strobe_link_delay}

down() {
  for pid_file in "$dir"/delay-*.pid; do
    [[ -e $pid_file ]] && kill "$(cat "$pid_file")" 2>/dev/null
  done
  for namespace in $(ip netns list | awk '/^strobe-(h[0-9]+|hub)/ { print $1 }'); do ip netns delete "$namespace"; done
  rm -rf "$dir"
}

# Every packet HOST (1..N) receives waits MS ms in the kernel until strobe_link_delay releases it. Held on arrival,
# not departure: TCP small queues would count a packet held on departure against its sender and throttle it.
delay_host() {
  local i=$1 ms=$2
  ip netns exec "strobe-h$i" iptables-legacy -A INPUT -i "veth-h$i" -j NFQUEUE --queue-num 0
  ip netns exec "strobe-h$i" "$link_delay" --queue=0 --delay_ms="$ms" 2>>"$dir/delay-h$i.log" &
  echo $! >"$dir/delay-h$i.pid"
}

up() {
  local hosts=$1 qdisc="" delay_ms=""
  shift
  for option in "$@"; do
    case $option in
      --qdisc=*) qdisc=${option#--qdisc=} ;;
      --delay_ms=*) delay_ms=${option#--delay_ms=} ;;
      *) echo "sim_cluster.sh: unknown option '$option' (expected --qdisc=... or --delay_ms=MS)" >&2; exit 2 ;;
    esac
  done
  if [[ -n $delay_ms ]]; then
    [[ $delay_ms =~ ^[0-9]+$ ]] || { echo "sim_cluster.sh: --delay_ms must be whole milliseconds, got '$delay_ms'" >&2; exit 2; }
    [[ -x $link_delay ]] || { echo "sim_cluster.sh: --delay_ms needs $link_delay (build deploy/netns; set STROBE_LINK_DELAY)" >&2; exit 1; }
    command -v iptables-legacy >/dev/null || { echo "sim_cluster.sh: --delay_ms needs iptables-legacy (Debian: iptables)" >&2; exit 1; }
  fi
  down
  mkdir -p "$dir"
  ip netns add "$hub"
  ip -n "$hub" link add strobe-br type bridge
  ip -n "$hub" link set strobe-br up
  for i in $(seq 1 "$hosts"); do
    local namespace=strobe-h$i
    ip netns add "$namespace"
    ip link add "veth-h$i" netns "$namespace" type veth peer name "port$i" netns "$hub"
    ip -n "$hub" link set "port$i" master strobe-br up
    ip -n "$namespace" addr add "10.77.0.$i/24" dev "veth-h$i"
    ip -n "$namespace" link set "veth-h$i" up
    ip -n "$namespace" link set lo up
    # Links shaped per host: every packet a host sends pays the delay / rate limit once.
    if [[ -n $qdisc ]]; then
      # shellcheck disable=SC2086  # the qdisc and its options are words
      ip netns exec "$namespace" tc qdisc add dev "veth-h$i" root $qdisc \
        || { echo "sim_cluster.sh: tc cannot add '$qdisc' here (netem needs the kernel's sch_netem; --delay_ms does not)" >&2; exit 1; }
    fi
    [[ -z $delay_ms ]] || delay_host "$i" "$delay_ms"
    echo "10.77.0.$i $namespace" >>"$dir/hosts"
  done
  for i in $(seq 2 "$hosts"); do
    # A refused connection proves the route (no ping on minimal systems); only a timeout means unreachable.
    local status=0
    ip netns exec strobe-h1 timeout 3 bash -c "exec 3<>/dev/tcp/10.77.0.$i/9" 2>/dev/null || status=$?
    if [[ $status -eq 124 ]]; then echo "sim_cluster.sh: host $i (10.77.0.$i) unreachable" >&2; exit 1; fi
  done
  echo "simulated cluster: $hosts hosts ($(cut -d' ' -f1 "$dir/hosts" | tr '\n' ' '))${qdisc:+, links: $qdisc}${delay_ms:+, +$delay_ms ms per packet received}"
}

case ${1:-} in
  up) shift; up "${1:?number of hosts}" "${@:2}" ;;
  down) down ;;
  *) echo "usage: bash deploy/netns/sim_cluster.sh up N [--qdisc=QDISC] [--delay_ms=MS] | down" >&2; exit 2 ;;
esac
