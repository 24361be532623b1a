#!/usr/bin/env bash
# Proves Strobe's preemption path under a real Slurm (deploy/slurm/local_cluster.sh): submits
# train_fashion_mnist.sbatch (2 tasks, srun --mpi=pmix), preempts it mid-run with SIGTERM to its tasks (what Slurm
# sends on preemption), and checks that the tasks saved and exited 75, the batch script requeued the job, and the
# requeued run resumed from the checkpoint and finished. Run from the repository root as root, after deploy/build.sh:
#   bash deploy/slurm/check_requeue.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }
bash deploy/slurm/local_cluster.sh start
work=$(mktemp -d)
trap 'scancel "${job:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
run_dir=$work/run
job=$(sbatch --parsable --output="$work/slurm-%j.out" deploy/slurm/train_fashion_mnist.sbatch \
  --train_samples=4096 --epochs=2 --log_every=4 --eval_samples=1000 --run_dir="$run_dir")
echo "submitted job $job"
for _ in $(seq 600); do
  grep -q '"step":12,' "$run_dir/metrics.jsonl" 2>/dev/null && break
  sleep 0.2
done
grep -q '"step":12,' "$run_dir/metrics.jsonl" || { cat "$work"/slurm-*.out; fail "the job did not start training"; }
scancel --signal=TERM "$job"
echo "sent SIGTERM to the tasks of job $job (as a preemption would)"
for _ in $(seq 900); do
  state=$(scontrol show job "$job" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  restarts=$(scontrol show job "$job" 2>/dev/null | grep -o 'Restarts=[0-9]*' | cut -d= -f2)
  [[ $state == COMPLETED && ${restarts:-0} -ge 1 ]] && break
  [[ $state == FAILED || $state == CANCELLED || $state == TIMEOUT ]] && break
  sleep 1
done
log=$work/slurm-$job.out
cat "$log"
[[ $state == COMPLETED ]] || fail "job $job ended $state"
[[ ${restarts:-0} -ge 1 ]] || fail "job $job was never requeued"
grep -q "strobe: stopped on request at step" "$log" || fail "the tasks did not stop with a checkpoint"
grep -q "requeueing job $job" "$log" || fail "the batch script did not requeue"
grep -q "strobe: resumed from $run_dir/checkpoints/step-" "$log" || fail "the requeued run did not resume"
grep -q "strobe: done: 64 steps" "$log" || fail "the requeued run did not finish"
echo "PASS: Slurm job $job: SIGTERM -> checkpoint, exit 75 -> requeue -> resume -> done"
