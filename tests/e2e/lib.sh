# Helpers shared by the end-to-end test scripts; source it: source "$(dirname "$0")/lib.sh"
fail() { echo "FAIL: $*"; exit 1; }

# True when file $1 starts with the PNG signature.
is_png() { [[ $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; }

# Fails unless every rank of run directory $1 applied the same LR at every step (its --trace files, "STEP LR ...").
same_lr_on_every_rank() {
  local disagreements
  disagreements=$(awk '{ if (($1 in lr) && lr[$1] != $2) print "step " $1 ": " lr[$1] " vs " $2; lr[$1] = $2 }' \
    "$1"/trace/rank-*.txt)
  [[ -z $disagreements ]] || fail "ranks of $1 applied different LRs: $disagreements"
}

# "STEP INDEX..." of each global batch from step $2 on, in run directory $1: every rank's indices of a step, in rank
# order (its --trace lines are "STEP LR INDEX...").
global_order_from() {
  awk -v from="$2" '$1 >= from { $2 = ""; order[$1] = order[$1] substr($0, index($0, "  ") + 1) }
                    END { for (s in order) print s order[s] }' $(ls "$1"/trace/rank-*.txt | sort) | sort -n
}

# The pid of rank $2 of the running job whose command line has --run_dir=$1 (empty if none).
rank_pid() {
  local pid
  for pid in $(pgrep -f -- "--run_dir=$1"); do
    [[ $(cat /proc/"$pid"/comm 2>/dev/null) == strobe ]] || continue
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$pid"; return; }
  done
}
