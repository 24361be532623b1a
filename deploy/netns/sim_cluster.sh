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

down() {
  for namespace in $(ip netns list | awk '/^strobe-(h[0-9]+|hub)/ { print $1 }'); do ip netns delete "$namespace"; done
  rm -rf "$dir"
}

up() {
  local hosts=$1 qdisc=${2:-}
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
        || { echo "sim_cluster.sh: tc cannot add '$qdisc' here (netem needs the kernel's sch_netem)" >&2; exit 1; }
    fi
    echo "10.77.0.$i $namespace" >>"$dir/hosts"
  done
  for i in $(seq 2 "$hosts"); do
    # A refused connection proves the route (no ping on minimal systems); only a timeout means unreachable.
    local status=0
    ip netns exec strobe-h1 timeout 3 bash -c "exec 3<>/dev/tcp/10.77.0.$i/9" 2>/dev/null || status=$?
    if [[ $status -eq 124 ]]; then echo "sim_cluster.sh: host $i (10.77.0.$i) unreachable" >&2; exit 1; fi
  done
  echo "simulated cluster: $hosts hosts ($(cut -d' ' -f1 "$dir/hosts" | tr '\n' ' '))${qdisc:+, links: $qdisc}"
}

case ${1:-} in
  up) up "${2:?number of hosts}" "${3:-}" ;;
  down) down ;;
  *) echo "usage: bash deploy/netns/sim_cluster.sh up N [tc qdisc] | down" >&2; exit 2 ;;
esac
