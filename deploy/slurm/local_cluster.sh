#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine (munge + slurmctld + slurmd from Debian's slurm-wlm), to prove
# Strobe's Slurm path without a cluster. As root:
#   bash deploy/slurm/local_cluster.sh start   # install if needed, configure, start; waits until the node is idle
#   bash deploy/slurm/local_cluster.sh stop
# It writes /etc/slurm/{slurm,cgroup}.conf and /etc/munge/munge.key (only if absent): use it on a test machine, not
# on a host that is part of a real cluster.
set -euo pipefail
state=/var/lib/strobe-slurm
host=$(hostname -s)

stop() {
  for daemon in slurmd slurmctld; do pkill -x "$daemon" 2>/dev/null || true; done
  pkill -x munged 2>/dev/null || true
}

start() {
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
  fi
  mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge /etc/slurm /var/log/slurm "$state/ctld" "$state/d"
  [[ -s /etc/munge/munge.key ]] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
  chmod 400 /etc/munge/munge.key
  pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
  munge -n | unmunge >/dev/null
  # cgroup v2 fails on hosts that mount v1 controllers next to a v2 tree, and 22.05 rejects CgroupPlugin=disabled;
  # linuxproc tracking with v1 settings works (see ../shared/notes of the project).
  cat >/etc/slurm/slurm.conf <<CONF
ClusterName=strobe-local
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  cat >/etc/slurm/cgroup.conf <<CONF
CgroupPlugin=cgroup/v1
IgnoreSystemd=yes
CgroupAutomount=no
CONF
  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
      echo "local Slurm up: $(sinfo -h -o '%P %D %T %c CPUs')"
      return 0
    fi
    sleep 1
  done
  echo "local_cluster.sh: the node did not become idle; see /var/log/slurm/" >&2
  exit 1
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  *) echo "usage: bash deploy/slurm/local_cluster.sh start|stop" >&2; exit 2 ;;
esac
