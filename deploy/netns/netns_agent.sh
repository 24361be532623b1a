#!/usr/bin/env bash
# Open MPI's remote-shell agent for the simulated cluster (plm_rsh_agent): where mpirun would run
# `ssh HOST COMMAND...`, it runs `netns_agent.sh HOST COMMAND...`, which starts COMMAND inside the network namespace
# that plays HOST. HOST is an address from the cluster file written by sim_cluster.sh.
set -euo pipefail
host=$1
shift
map=${STROBE_SIM_CLUSTER:-/run/strobe-sim-cluster/hosts}
namespace=$(awk -v host="$host" '$1 == host { print $2 }' "$map")
if [[ -z $namespace ]]; then
  echo "netns_agent.sh: $host is not a host of the simulated cluster ($map)" >&2
  exit 255
fi
echo "$(date +%H:%M:%S) $host -> $namespace: $*" >>"$(dirname "$map")/agent.log"
exec ip netns exec "$namespace" /bin/sh -c "$*"
