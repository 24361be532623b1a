#!/usr/bin/env bash
# Watching a run, end to end on 2 ranks with Mixup/CutMix, rank 1 slowed by 150 ms per step:
#  - the progress line names rank 1 and its host as the straggler, and metrics.jsonl says so on every report after
#    each process's first;
#  - the step time breakdowns add up to the step time measured from the windows' wall clock (global batch / img/s)
#    within 5% over the run, each report's within 25%, and the named parts (all but "other") make up at least 95%;
#  - metrics.jsonl lines carry "time" and "elapsed_s", train lines the sample count;
#  - `strobe plot` draws a live run, then (after rank 1 is killed past a checkpoint and the run resumed) the
#    finished run next to a second one: PNGs with CSVs holding each run's series;
#  - the TensorBoard event files pass tensorboard_check.py: every CRC, no step twice after the resume, every scalar
#    equal to metrics.jsonl.
# Usage: watching_test.sh STROBE_BINARY MPIEXEC SOURCE_DIR
set -euo pipefail
strobe=$1
mpiexec=$2
source_dir=$3
here=$(dirname "$0")
source "$here/lib.sh"
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || { echo "SKIP: no python3-protobuf"; exit 77; }
command -v protoc >/dev/null || { echo "SKIP: no protoc (protobuf-compiler)"; exit 77; }
work=$(mktemp -d)
launcher=
cleanup() {
  [[ -n $launcher ]] && kill -9 "$launcher" 2>/dev/null
  pkill -9 -f -- "--run_dir=$work/" || true
  rm -rf "$work"
}
trap cleanup EXIT
run=$work/run
flags=(train --model=resnet20 --epochs=1 --batch_size=128 --train_samples=3840 --eval_samples=500 --log_every=3
       --checkpoint_every_steps=12 --mixup_alpha=0.2 --cutmix_alpha=1.0 --label_smoothing=0.1 --lr=0.1
       --inject_delay_rank=1 --inject_delay_ms=150 --run_dir="$run")

# 1. A live run: plotted while it trains; rank 1 killed once it has reported past its checkpoint of step 12 (the
# next comes at 24), so the resumed run reports step 15 again.
launch_until_checkpoint "$run" 12
live=$("$strobe" plot "$run" --output="$work/live") || { echo "$live"; fail "plot of a live run failed"; }
is_png "$work/live/loss.png" || fail "plot of a live run drew no loss.png"
until grep -q '"kind":"train","epoch":0,"step":15,' "$run/metrics.jsonl"; do
  kill -0 "$launcher" 2>/dev/null || { cat "$work/out"; fail "the run ended before step 15"; }
  sleep 0.05
done
kill -9 "$(rank_pid "$run" 1)"
wait "$launcher" || true
launcher=
first=$(cat "$work/out")
grep -Eq "straggler: rank 1 \($(hostname)\) busy [0-9]+ ms per step, median [0-9]+ ms" <<<"$first" ||
  { echo "$first"; fail "the progress line does not name rank 1 on $(hostname) as the straggler"; }

# 2. Resumed to the end.
resumed=$(timeout 300 "$mpiexec" -np 2 "$strobe" "${flags[@]}" --resume=auto 2>&1) ||
  { echo "$resumed"; fail "the resumed run failed"; }
grep -q "resumed from $run/checkpoints/step-000000012" <<<"$resumed" || { echo "$resumed"; fail "no resume at 12"; }
[[ $(grep -c '"kind":"train","epoch":0,"step":15,' "$run/metrics.jsonl") -eq 2 ]] ||
  fail "metrics.jsonl should hold step 15 from both runs"
echo "$resumed" | tail -4

# 3. The metrics: straggler, breakdown sums, times. A report's breakdown covers the steps that ended before the
# report's own step and its images/s the steps up to it (docs/watching.md): one step apart, so the two agree over
# a run of reports, and each report only as well as neighbouring steps agree (within 5% here, 12% with another
# process busy on a core). A process's first report is left out: its first step (allocations, first use of each
# kernel) is one of the two steps its breakdown timed but one of the three its wall clock saw, and it adds as much
# busy time to every rank as rank 1's delay, so rank 1 may stay under the straggler's 1.1 x the median busy time.
/usr/bin/python3 - "$run/metrics.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert all("time" in l and "elapsed_s" in l and l["time"] > 1.7e9 for l in lines), "a line without its time"
train = [l for l in lines if l["kind"] == "train"]
assert all(l["samples"] == 128 * l["step"] for l in train), "sample counts"
judged, first_of_process = [], True
for l in lines:
    if l["kind"] == "resume":
        first_of_process = True
    elif l["kind"] == "train":
        if not first_of_process:
            judged.append(l)
        first_of_process = False
assert len(judged) == len(train) - 2 >= 8, f"{len(judged)} of {len(train)} reports judged: one resume expected"
wall_total = step_total = 0.0
for l in judged:
    assert l["slowest_rank"] == 1 and l["straggler"] == 1, \
        f"step {l['step']}: slowest rank {l['slowest_rank']}, straggler {l['straggler']}"
    wall_ms = 1e3 * 128 / l["images_per_s"]
    step_ms = l["step_ms_median"]
    wall_total += wall_ms
    step_total += step_ms
    assert abs(step_ms - wall_ms) <= 0.25 * wall_ms, f"step {l['step']}: breakdown {step_ms} ms vs wall {wall_ms} ms"
    assert l["other_ms_max"] <= 0.05 * step_ms, f"step {l['step']}: 'other' {l['other_ms_max']} of {step_ms} ms"
    assert l["forward_ms_max"] - l["forward_ms_min"] >= 100, f"step {l['step']}: rank 1's 150 ms not in forward"
    assert l["busy_ms_max"] - l["busy_ms_min"] >= 75, f"step {l['step']}: busy spread"
    assert l["allreduce_ms_max"] >= 75, f"step {l['step']}: rank 0 waits for rank 1 in the all-reduce"
assert abs(step_total - wall_total) <= 0.05 * wall_total, f"breakdowns {step_total} ms vs wall clock {wall_total} ms"
print(f"metrics: {len(train)} train reports; over the {len(judged)} after each process's first, straggler rank 1 "
      f"and the breakdown {step_total / wall_total:.3f} of the wall clock")
PY

# 4. TensorBoard, read independently.
protoc --python_out="$work" -I "$source_dir" "$source_dir/worker/output/tensorboard/event.proto"
/usr/bin/python3 "$here/tensorboard_check.py" "$run" "$work/worker/output/tensorboard" || fail "tensorboard check"

# 5. Plots of the finished run next to a second run.
timeout 300 "$mpiexec" -np 2 "$strobe" train --model=resnet20 --epochs=1 --batch_size=128 --train_samples=1280 \
  --eval_samples=500 --log_every=5 --run_dir="$work/other" >"$work/out2" 2>&1 || { cat "$work/out2"; fail "run 2"; }
plotted=$("$strobe" plot "$run" "$work/other" --output="$work/compare") || { echo "$plotted"; fail "plot failed"; }
echo "$plotted"
for chart in loss accuracy lr throughput breakdown loss_time accuracy_time lr_time throughput_time breakdown_time; do
  is_png "$work/compare/$chart.png" && [[ $(stat -c %s "$work/compare/$chart.png") -gt 5000 ]] ||
    fail "$chart.png missing or empty"
  [[ -s $work/compare/$chart.csv ]] || fail "$chart.csv missing"
done
[[ $(head -1 "$work/compare/loss.csv") == "step,run loss,other loss" ]] ||
  fail "loss.csv header: $(head -1 "$work/compare/loss.csv")"
[[ $(head -1 "$work/compare/lr.csv") == "step,run lr,other lr,run momentum,other momentum" ]] ||
  fail "lr.csv header: $(head -1 "$work/compare/lr.csv")"
# Every train report of run 1 once (the resumed steps' values), run 2's at its own steps.
expected=$(/usr/bin/python3 -c '
import json, sys
latest = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] == "train": latest[r["step"]] = r["loss"]
print(" ".join(f"{s}:{latest[s]:.9g}" for s in sorted(latest)))' "$run/metrics.jsonl")
drawn=$(awk -F, 'NR > 1 && $2 != "" { printf "%s%s:%s", sep, $1, $2; sep = " " }' "$work/compare/loss.csv")
[[ $drawn == "$expected" ]] || fail "loss.csv run column: $drawn, expected $expected"
[[ $(awk -F, 'NR > 1 && $3 != ""' "$work/compare/loss.csv" | wc -l) -eq 2 ]] || fail "run 2 has 10 steps: 2 reports"
final=$(sed -n 's/.*"kind":"eval".*"test_accuracy":\([0-9.]*\).*/\1/p' "$run/metrics.jsonl" | tail -1)
grep -q ",$final," "$work/compare/accuracy.csv" || grep -q ",$final\$" "$work/compare/accuracy.csv" ||
  fail "accuracy.csv lacks the final accuracy $final"
# Bad input to plot: one error line naming the file (and line), exit 1.
status=0
out=$("$strobe" plot "$work/none" 2>&1) || status=$?
[[ $status -eq 1 ]] && grep -q "^strobe: error: $work/none/metrics.jsonl: " <<<"$out" ||
  { echo "$out"; fail "plot of a directory without metrics.jsonl: exit $status"; }
mkdir "$work/bad" && { head -3 "$run/metrics.jsonl"; echo '{oops}'; } >"$work/bad/metrics.jsonl"
status=0
out=$("$strobe" plot "$work/bad" 2>&1) || status=$?
[[ $status -eq 1 ]] && grep -q "^strobe: error: $work/bad/metrics.jsonl line 4: expected a quoted key" <<<"$out" ||
  { echo "$out"; fail "plot of a damaged metrics.jsonl: exit $status"; }
echo "PASS: straggler named, breakdown adds up, TensorBoard equals metrics.jsonl after a resume, plots drawn"
