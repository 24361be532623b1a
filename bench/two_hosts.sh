# Sourced by the benchmarks across two simulated hosts (deploy/netns/sim_cluster.sh): writes a hostfile with one
# slot per host into $work and defines `two_host_mpirun SECONDS ARGS...`, which runs mpirun from host 1 with the
# ranks talking over the simulated links only, killed after SECONDS. Needs $repo and $work.
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' >"$work/hosts"

two_host_mpirun() {
  local seconds=$1
  shift
  timeout -k 10 "$seconds" ip netns exec strobe-h1 mpirun --allow-run-as-root --hostfile "$work/hosts" -np 2 \
    --map-by ppr:1:node --bind-to none --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 \
    --mca oob_tcp_if_include 10.77.0.0/24 --mca plm_rsh_agent "$repo/deploy/netns/netns_agent.sh" "$@"
}
