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

# Starts a 2-rank job, `$mpiexec -np 2 $strobe "${flags[@]}"`, in the background (its pid in $launcher, its output
# in $work/out) and returns once run directory $1 holds the checkpoint of step $2.
launch_until_checkpoint() {
  "$mpiexec" -np 2 "$strobe" "${flags[@]}" >"$work/out" 2>&1 &
  launcher=$!
  until [[ -d $1/checkpoints/$(printf 'step-%09d' "$2") ]]; do
    kill -0 "$launcher" 2>/dev/null || { cat "$work/out"; fail "the run ended before its checkpoint of step $2"; }
    sleep 0.1
  done
}

# Fails if a process of the ended job with --run_dir=$1 is still alive a second later.
expect_no_survivors() {
  sleep 1
  local survivors
  survivors=$(pgrep -f -- "--run_dir=$1" || true)
  [[ -z $survivors ]] || fail "processes of the job survive: $survivors"
}

# Fails unless --resume=auto continues run $1 (same "${flags[@]}"): `stop` in its control file ends the resumed run
# at its first step with 75; its output is left in $resumed.
expect_resume_continues() {
  echo stop >"$1/control"
  local status=0
  resumed=$(timeout 120 "$mpiexec" -np 2 "$strobe" "${flags[@]}" --resume=auto 2>&1) || status=$?
  [[ $status -eq 75 ]] || { echo "$resumed"; fail "the resumed run exited with $status, expected 75 (stopped)"; }
  grep -q "resumed from $1/checkpoints/step-" <<<"$resumed" || { echo "$resumed"; fail "it did not resume"; }
}

# Runs `$mpiexec -np $1 $strobe "${common[@]}" --run_dir=$2 [flags...]` with its output in $2.log; fails the test,
# showing the log, if it exits non-zero.
train() {
  local ranks=$1 dir=$2
  shift 2
  timeout 300 "$mpiexec" -np "$ranks" "$strobe" "${common[@]}" --run_dir="$dir" "$@" >"$dir.log" 2>&1 \
    || { cat "$dir.log"; fail "$dir exited with $?"; }
}

# The file table (names, sizes, CRC-32s) of checkpoint $1's manifest: equal tables mean bitwise equal state.
files_of() { grep '^file ' "$1/MANIFEST"; }
