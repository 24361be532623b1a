#!/usr/bin/env bash
# Exact resume, with CutMix + Mixup, the previous-batch partner buffer, a plateau LR schedule and an EMA of the
# weights (with warmup) all active:
#  1. 2 ranks straight through (reference run A, checkpoints every 10 steps, 16 steps per epoch);
#  2. a new process resumes A's mid-epoch checkpoint at step 10 on 2 ranks: its last checkpoint is bitwise A's
#     (model, momentum, every rank's state) and its logged losses and LRs equal A's from step 10 on;
#  3. the same checkpoint resumed on 1 and on 4 ranks visits exactly A's global sample order, and every rank
#     applies the same LR at every step; resumed with global batch 128 the stream of samples is A's;
#  4. SIGTERM to one rank of a run like A: every rank saves at the next step boundary and the job exits with 75
#     within seconds; --resume=auto then finishes it, bitwise equal to A;
#  5. the EMA: evaluated next to the trained weights after each epoch; `strobe eval --ema` of the final checkpoint
#     gives the run's EMA accuracy; `strobe export --ema` writes it; resumed without --ema_decay it is dropped, and
#     turned on at a resume it starts from the resumed weights, each said in the resume line.
# Usage: checkpoint_resume_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(train --data="$data" --train_samples=1024 --batch_size=64 --epochs=3 --log_every=3
        --checkpoint_every_steps=10 --keep_checkpoints=0 --mixup_alpha=0.2 --cutmix_alpha=1.0
        --mix_partners=previous --plateau_metric=train_loss --plateau_patience=2 --eval_samples=500
        --eval_batch=250 --trace --ema_decay=0.9 --ema_warmup)
source "$(dirname "$0")/lib.sh"
# Training reports from step $2 on, without the fields that describe this process's window rather than the training
# state (speed, data wait, mixing λ drawn, the step breakdown, wall time).
reports_from() {
  grep '"kind":"train"' "$1/metrics.jsonl" |
    sed 's/,"images_per_s":[^,}]*//; s/,"data_wait":[^,}]*//; s/,"mix_lambda_[a-z]*":[^,}]*//g; s/,"step_ms_min".*$/}/;
         s/,"time":.*$/}/' |
    awk -v from="$2" -F'"step":' '{ split($2, a, ","); if (a[1] + 0 > from) print }'
}
final=checkpoints/step-000000048

train 2 "$work/A"
[[ -d $work/A/$final ]] || fail "reference run left no final checkpoint"
grep -q '"kind":"lr"' "$work/A/metrics.jsonl" || fail "the plateau never reduced the LR: the dynamic schedule is not exercised"
same_lr_on_every_rank "$work/A"

train 2 "$work/B" --resume="$work/A/checkpoints/step-000000010"
grep -q "resumed from .*step-000000010: step 10, epoch 1, 640 samples" "$work/B.log" || fail "no resume line in B"
diff <(files_of "$work/A/$final") <(files_of "$work/B/$final") || fail "resumed state differs from the straight run"
diff <(reports_from "$work/A" 10) <(reports_from "$work/B" 10) || fail "resumed losses or LRs differ"
echo "ok: resume at step 10 on 2 ranks is bitwise identical to the straight run"

for ranks in 1 4; do
  train "$ranks" "$work/W$ranks" --resume="$work/A/checkpoints/step-000000010"
  grep -q "world size 2 -> $ranks" "$work/W$ranks.log" || fail "no world-size change logged for $ranks ranks"
  same_lr_on_every_rank "$work/W$ranks"
  diff <(global_order_from "$work/A" 10) <(global_order_from "$work/W$ranks" 10) >/dev/null \
    || fail "sample order on $ranks ranks differs from the 2-rank run"
  [[ $(global_order_from "$work/W$ranks" 10 | wc -l) -eq 38 ]] || fail "expected 38 resumed steps on $ranks ranks"
done
echo "ok: resumed on 1 and 4 ranks, the global sample order equals the 2-rank run's; every rank applied the same LRs"

# Another global batch: the position is kept in samples, so the stream of samples continues unchanged.
train 2 "$work/G" --resume="$work/A/checkpoints/step-000000010" --batch_size=128
grep -q "global batch 64 -> 128: the LR follows the linear scaling rule" "$work/G.log" || fail "no batch change logged"
diff <(global_order_from "$work/A" 10 | cut -d' ' -f2- | tr ' ' '\n') \
     <(global_order_from "$work/G" 0 | cut -d' ' -f2- | tr ' ' '\n') >/dev/null \
  || fail "the sample stream changed with the global batch"
echo "ok: resumed with global batch 128, the sample stream continues exactly"

mkdir -p "$work/S"
timeout 300 "$mpiexec" -np 2 "$strobe" "${common[@]}" --run_dir="$work/S" >"$work/S.log" 2>&1 &
launcher=$!
for _ in $(seq 600); do
  grep -q '"step":6,' "$work/S/metrics.jsonl" 2>/dev/null && break
  sleep 0.1
done
launcher_child=$(pgrep -P "$launcher")  # mpirun, under timeout; the ranks are its children
victim=$(pgrep -P "$launcher_child" | tail -1)
[[ -n $victim ]] || fail "no rank process to signal"
signalled=$(date +%s%N)
kill -TERM "$victim"
status=0
wait "$launcher" || status=$?
milliseconds=$(( ($(date +%s%N) - signalled) / 1000000 ))
[[ $status -eq 75 ]] || { cat "$work/S.log"; fail "SIGTERM run exited with $status, expected 75"; }
grep -q "stopped on request at step" "$work/S.log" || fail "no stop message"
echo "ok: SIGTERM to one rank: all ranks saved and the job exited 75 after $milliseconds ms"
(( milliseconds < 30000 )) || fail "stopping took $milliseconds ms"
train 2 "$work/S" --resume=auto
grep -q "resumed from" "$work/S.log" || fail "--resume=auto did not resume"
diff <(files_of "$work/A/$final") <(files_of "$work/S/$final") || fail "stop + resume differs from the straight run"
echo "ok: SIGTERM stop and --resume=auto: bitwise the straight run"

grep -q '^file ema.pt ' "$work/A/$final/MANIFEST" || fail "the final checkpoint holds no ema.pt"
grep -q "^epoch 3 test accuracy [0-9.]* (top-5 [0-9.]*) loss [0-9.]*; EMA accuracy [0-9.]* (top-5 [0-9.]*) loss [0-9.]* (500 images)$" "$work/A.log" ||
  { cat "$work/A.log"; fail "no evaluation of the EMA next to the trained weights"; }
[[ $(grep -c '"kind":"eval".*"ema_test_accuracy":' "$work/A/metrics.jsonl") -eq 3 ]] || fail "no ema_test_accuracy"
ema_accuracy=$(sed -n 's/^strobe: done: .*, EMA test accuracy \([0-9.]*\)$/\1/p' "$work/A.log")
evaluated=$("$strobe" eval --ema --model="$work/A/$final" --data="$data" --train_samples=1024 --eval_samples=500 \
  --eval_batch=250)
grep -q "top-1 $ema_accuracy," <<<"$evaluated" || { echo "$evaluated"; fail "eval --ema differs from the run's $ema_accuracy"; }
"$strobe" export --ema "$work/A/$final" "$work/ema.pt" | grep -q "the EMA of the weights" || fail "export --ema"
train 2 "$work/E0" --resume="$work/A/checkpoints/step-000000010" --ema_decay=0 --ema_warmup=false
grep -q "its EMA of the weights is dropped (--ema_decay=0)" "$work/E0.log" || fail "dropping the EMA is not said"
! grep -q '^file ema.pt ' "$work/E0/$final/MANIFEST" || fail "a run without EMA saved one"
train 2 "$work/E1" --resume="$work/E0/checkpoints/step-000000020"
grep -q "the EMA of the weights starts from the resumed weights (the checkpoint has none)" "$work/E1.log" ||
  fail "starting the EMA at a resume is not said"
grep -q '^file ema.pt ' "$work/E1/$final/MANIFEST" || fail "the run that turned the EMA on saved none"
echo "ok: the EMA is evaluated each epoch, eval --ema gives the run's $ema_accuracy, export --ema, dropped or"\
     "started at a resume"
# A cadence checkpoint due at an epoch's end (16 steps per epoch): the epoch-end checkpoint, saved once; without
# epoch-end checkpoints, saved by the cadence at that boundary.
for at_end in true false; do
  train 2 "$work/C$at_end" --checkpoint_every_steps=16 --checkpoint_at_epoch_end="$at_end"
  for step in 16 32 48; do
    [[ $(grep -c "checkpoint saved: .*/step-0000000$step " "$work/C$at_end.log") -eq 1 ]] ||
      { cat "$work/C$at_end.log"; fail "--checkpoint_at_epoch_end=$at_end: step $step not saved exactly once"; }
  done
done
echo "ok: a cadence checkpoint at an epoch's end is saved once, with or without epoch-end checkpoints"
echo "PASS: exact resume (2 ranks), elastic sample order (1, 4 ranks), SIGTERM stop and resume, the EMA, cadence at"\
     "epoch ends"
