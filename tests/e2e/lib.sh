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
