#!/usr/bin/env bash
# The coordinator's LR under mpirun, for every schedule: each rank's trace of applied LRs (--trace) is identical on
# every rank at every step, at 4 ranks, and at 2 as well for the dynamic schedules (plateau on the all-reduced
# training loss, AdaScale from the ranks' differing gradients); the static ones, one-cycle included, apply exactly what
# `strobe lr-plot` planned. Then `strobe lr-find` across 2 ranks writes its CSV, its chart and a suggestion, and
# lr-plot and lr-find reject bad input.
# Usage: lr_schedules_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
common=(--data="$data" --train_samples=512 --batch_size=64 --epochs=2 --eval_samples=200 --log_every=2
        --checkpoint_at_epoch_end=false)

declare -A schedules=(
  [constant]="--lr_schedule=constant --warmup_steps=3"
  [cosine]="--lr_schedule=cosine --warmup_epochs=0.5 --final_lr=0.001"
  [step]="--lr_schedule=step --warmup_steps=2 --lr_milestones=0.5,1 --lr_gamma=0.5"
  [poly]="--lr_schedule=poly --warmup_steps=2 --lr_power=2"
  [onecycle]="--lr_schedule=onecycle --onecycle_pct_start=0.3"
  [plateau]="--lr_schedule=constant --warmup_steps=0 --plateau_metric=train_loss --plateau_patience=1 --plateau_factor=0.5"
  [adascale]="--lr_schedule=cosine --warmup_steps=2 --lr_adascale --adascale_smoothing=0.5"
)
for name in "${!schedules[@]}"; do
  read -r -a flags <<<"${schedules[$name]}"
  # The static schedules are a function of the step alone; the dynamic ones read what the ranks measure, so they
  # also run at 2 ranks.
  world_sizes=(4)
  [[ $name == plateau || $name == adascale ]] && world_sizes=(2 4)
  for ranks in "${world_sizes[@]}"; do
    dir=$work/$name-$ranks
    timeout 240 "$mpiexec" -np "$ranks" "$strobe" train "${common[@]}" "${flags[@]}" --trace --run_dir="$dir" \
      >"$dir.log" 2>&1 || { cat "$dir.log"; fail "$name on $ranks ranks exited with $?"; }
    same_lr_on_every_rank "$dir"
    [[ $(cat "$dir"/trace/rank-*.txt | wc -l) -eq $((16 * ranks)) ]] || fail "$name on $ranks ranks: trace incomplete"
  done
  case $name in
    plateau | adascale) ;;
    *)  # the run applied exactly the planned schedule
      "$strobe" lr-plot "${common[@]}" "${flags[@]}" --output="$work/$name.png" >/dev/null
      is_png "$work/$name.png" || fail "lr-plot of $name wrote no PNG"
      mismatch=$(awk -F'[ ,]' 'NR == FNR { if (FNR > 1) planned[$1] = $3; next }
                               { d = $2 - planned[$1]; if (d < 0) d = -d; if (d > 1e-8 * planned[$1] + 1e-15) print $1 }' \
        "$work/$name.csv" "$work/$name-4/trace/rank-00000.txt")
      [[ -z $mismatch ]] || fail "$name: applied LRs differ from lr-plot's plan at steps $mismatch" ;;
  esac
  echo "ok: $name: identical LRs on every rank at ${world_sizes[*]} ranks"
done
grep -q '"kind":"lr"' "$work/plateau-2/metrics.jsonl" || fail "the plateau never reduced the LR"
[[ $(awk '{ print $2 }' "$work/adascale-4/trace/rank-00000.txt" | sort -u | wc -l) -gt 8 ]] \
  || fail "AdaScale LRs do not vary"
head -2 "$work/onecycle.csv" | tail -1 | grep -q '^0,0.000000,0.001,0.95$' || fail "one-cycle does not start at peak / 25"

# The operator's control file: a malformed one is reported and ignored (the run goes on with the same LRs), a valid
# override reaches every rank at the same step.
for control in "lr = banana" "lr = 0.003"; do
  dir=$work/control-${control//[^a-z0-9]/_}
  mkdir -p "$dir"
  printf '%s\n' "$control" >"$dir/control"
  timeout 240 "$mpiexec" -np 2 "$strobe" train "${common[@]}" ${schedules[constant]} --trace --run_dir="$dir" \
    >"$dir.log" 2>&1 || { cat "$dir.log"; fail "the run with control file '$control' exited with $?"; }
done
bad=$work/control-lr___banana
grep -q '"kind":"control".*line 1: lr needs a positive number, got .banana.; ignored' "$bad/metrics.jsonl" \
  || fail "the malformed control file was not reported"
[[ -f $bad/control.rejected ]] || fail "the malformed control file was not moved to control.rejected"
diff <(cut -d' ' -f1,2 "$bad/trace/rank-00001.txt") <(cut -d' ' -f1,2 "$work/constant-4/trace/rank-00001.txt") \
  || fail "a malformed control file changed the LRs"
good=$work/control-lr___0_003
[[ $(cut -d' ' -f2 "$good"/trace/rank-*.txt | sort -u) == 0.0030000000000000001 ]] \
  || fail "the override did not reach every rank at every step"
echo "ok: control file: malformed one reported and ignored, 'lr = 0.003' applied on every rank"

timeout 240 "$mpiexec" -np 2 "$strobe" lr-find "${common[@]}" --train_samples=2048 --lr_find_steps=40 \
  --lr_find_min=1e-5 --lr_find_max=20 --run_dir="$work/find" >"$work/find.log" 2>&1 \
  || { cat "$work/find.log"; fail "lr-find exited with $?"; }
grep -q "strobe: suggested peak LR .* for global batch 64: --lr=" "$work/find.log" || { cat "$work/find.log"; fail "no suggestion"; }
[[ $(wc -l <"$work/find/lr_find.csv") -ge 10 ]] || fail "lr-find recorded fewer than 9 steps"
is_png "$work/find/lr_find.png" || fail "lr-find wrote no PNG"
echo "ok: lr-find: $(grep -o 'suggested peak LR [^ ]*' "$work/find.log"), $(($(wc -l <"$work/find/lr_find.csv") - 1)) steps"

expect_error() {  # EXPECTED_MESSAGE COMMAND...
  local message=$1 output status=0
  shift
  output=$("$@" 2>&1) || status=$?
  [[ $status -eq 2 ]] || { echo "$output"; fail "expected exit 2 from: $*"; }
  grep -qF -- "$message" <<<"$output" || { echo "$output"; fail "expected '$message'"; }
}
expect_error "--lr_find_min=0 and --lr_find_max=10 must satisfy 0 < min < max" \
  "$strobe" lr-find "${common[@]}" --lr_find_min=0 --run_dir="$work/bad"
expect_error "already exists; not overwriting it" \
  "$strobe" lr-find "${common[@]}" --run_dir="$work/find"
expect_error "--output=plot.svg must name a .png file" "$strobe" lr-plot "${common[@]}" --output=plot.svg
expect_error "--lr_schedule=onecycle rises to the peak over --onecycle_pct_start of the run; --warmup_steps does not apply" \
  "$strobe" lr-plot "${common[@]}" --lr_schedule=onecycle --warmup_steps=5 --output="$work/x.png"
expect_error "--adascale_smoothing=1 must lie in [0, 1)" \
  "$strobe" lr-plot "${common[@]}" --lr_adascale --adascale_smoothing=1 --output="$work/y.png"
echo "PASS: every schedule applied identically on every rank (2, 4 ranks); lr-plot plans match; lr-find; bad input"
