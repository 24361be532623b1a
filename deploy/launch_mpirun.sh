#!/usr/bin/env bash
# Launches a Strobe command across hosts with Open MPI's mpirun and a hostfile.
# Usage: bash deploy/launch_mpirun.sh HOSTFILE RANKS_PER_HOST COMMAND [flags...]
#   e.g. bash deploy/launch_mpirun.sh hosts.txt 8 train --model=resnet50 --batch_size=2048 --run_dir=/shared/runs/a
# HOSTFILE: one host per line ("node1 slots=8"). Every host needs the same build at the same path and a shared
# file system for --data and --run_dir. Settings, from the environment:
#   STROBE_NET_IFACE     network (CIDR such as 10.0.0.0/24, or an interface name) for MPI's TCP traffic and
#                        NCCL's sockets (NCCL_SOCKET_IFNAME when it is a name); default: Open MPI's choice
#   STROBE_BIND          --bind-to for each rank: none (default), core, socket, numa
#   STROBE_THREADS       intra-op CPU threads per rank (--threads); default: cores / ranks per host
#   STROBE_RSH_AGENT     what mpirun starts remote daemons with instead of ssh (plm_rsh_agent)
#   STROBE_MPIRUN_ARGS   anything else for mpirun, e.g. "--mca btl_tcp_links 2"
# Forwarded to every rank: NCCL_*, UCX_*, OMP_NUM_THREADS and the OMPI_ALLOW_RUN_AS_ROOT pair when set.
set -euo pipefail
cd "$(dirname "$0")/.."
hostfile=${1:?hostfile}
ranks_per_host=${2:?ranks per host}
shift 2
[[ -r $hostfile ]] || { echo "launch_mpirun.sh: cannot read hostfile $hostfile" >&2; exit 2; }
hosts=$(grep -cv '^\s*\(#\|$\)' "$hostfile")
args=(--hostfile "$hostfile" -np $((hosts * ranks_per_host)) --map-by "ppr:${ranks_per_host}:node"
      --bind-to "${STROBE_BIND:-none}")
if [[ $(id -u) -eq 0 ]]; then args+=(--allow-run-as-root); fi
if [[ -n ${STROBE_NET_IFACE:-} ]]; then
  args+=(--mca btl tcp,vader,self --mca btl_tcp_if_include "$STROBE_NET_IFACE" --mca oob_tcp_if_include "$STROBE_NET_IFACE")
  [[ $STROBE_NET_IFACE == */* ]] || export NCCL_SOCKET_IFNAME=$STROBE_NET_IFACE
fi
if [[ -n ${STROBE_RSH_AGENT:-} ]]; then args+=(--mca plm_rsh_agent "$STROBE_RSH_AGENT"); fi
for variable in $(env | grep -oE '^(NCCL_|UCX_)[A-Z0-9_]+' || true) OMP_NUM_THREADS OMPI_ALLOW_RUN_AS_ROOT \
                OMPI_ALLOW_RUN_AS_ROOT_CONFIRM; do
  [[ -n ${!variable:-} ]] && args+=(-x "$variable")
done
read -r -a extra <<<"${STROBE_MPIRUN_ARGS:-}"
threads=()
if [[ -n ${STROBE_THREADS:-} ]]; then threads=(--threads="$STROBE_THREADS"); fi
exec mpirun "${args[@]}" "${extra[@]}" "$PWD/build/strobe" "$@" "${threads[@]}"
