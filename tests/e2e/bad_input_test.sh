#!/usr/bin/env bash
# Bad input to `strobe train` under 2 ranks: every case must end (no hang), exit non-zero, print one clear
# error line naming the problem, and leave an existing run directory untouched.
# Usage: bad_input_test.sh STROBE_BINARY MPIEXEC
set -uo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect EXIT_CODE PATTERN ARGS...: runs 2 ranks with ARGS and checks the exit code and the single error line.
expect() {
  local want_code=$1 pattern=$2
  shift 2
  local output code
  output=$(timeout 120 "$mpiexec" -np 2 "$strobe" train --data="$data" --train_samples=256 "$@" 2>&1)
  code=$?
  local errors
  errors=$(echo "$output" | grep -c '^strobe: error:')
  if [[ $code -ne $want_code ]] || ! echo "$output" | grep -q -- "$pattern" || [[ $errors -ne 1 ]]; then
    echo "FAIL: strobe train $* -> exit $code (want $want_code), $errors error line(s), want /$pattern/:"
    echo "$output" | sed 's/^/    /'
    failures=$((failures + 1))
  else
    echo "ok: $* -> exit $code: $(echo "$output" | grep '^strobe: error:')"
  fi
}

# Help and version are not bad input, but the same command-line check sees them first: they must get through.
help=$("$strobe" --helpfull 2>&1)
version=$("$strobe" --version 2>&1)
if ! grep -q -- "--ema_decay" <<<"$help" || ! grep -q -- "--image_size_schedule" <<<"$help" ||
   [[ ! $version =~ ^strobe\ [0-9.]+\ \(LibTorch\ [0-9.]+ ]]; then
  echo "FAIL: strobe --helpfull / --version:"; echo "$help" | head -5 | sed 's/^/    /'; echo "    $version"
  failures=$((failures + 1))
else
  echo "ok: strobe --helpfull lists every flag ($(grep -c -- '^ *--' <<<"$help") flags); --version: $version"
fi
expect 1 "strobe: error: rank 0: --data=$work/none is not a directory" --data="$work/none" --run_dir="$work/r1"
mkdir -p "$work/corrupt"
cp "$data"/* "$work/corrupt/"
head -c 100000 "$data/train-images-idx3-ubyte.gz" > "$work/corrupt/train-images-idx3-ubyte.gz"
expect 1 "train-images-idx3-ubyte.gz: truncated gzip data" --data="$work/corrupt" --run_dir="$work/r2"
mkdir -p "$work/missing" && cp "$data"/train-* "$work/missing/"
expect 1 "t10k-images-idx3-ubyte: cannot open" --data="$work/missing" --run_dir="$work/r3"
expect 2 "--model=alexnet is not a known model; choose one of: resnet18, resnet20, resnet50, or a TorchScript file" --model=alexnet \
  --run_dir="$work/r4"
expect 2 "--batch_size must be positive, got 0" --batch_size=0 --run_dir="$work/r5"
# GPU-only options in a CPU build (CTest passes STROBE_CUDA_BUILD; a CUDA build would start on its GPUs instead).
if [[ "${STROBE_CUDA_BUILD:-OFF}" == "OFF" ]]; then
  expect 2 "--device=cuda: this strobe was built without CUDA" --device=cuda --run_dir="$work/r_gpu1"
  expect 2 "--amp=fp16 needs --device=cuda" --amp=fp16 --run_dir="$work/r_gpu2"
  expect 2 "--grad_compression=bf16 needs --device=cuda" --grad_compression=bf16 --run_dir="$work/r_gpu3"
fi
expect 2 "--amp=fp8: expected off, bf16 or fp16" --amp=fp8 --run_dir="$work/r_gpu4"
# Where LibTorch's bf16 convolution fails (an AVX-512 CPU, where LibTorch 1.13 hands bf16 to oneDNN, with oneDNN held
# to AVX2), a run would stop at its first step with oneDNN's "could not create a primitive descriptor iterator"; the
# start-up probe names the flag instead. Without AVX-512, LibTorch uses its own bf16 kernels and nothing fails.
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo) "
if [[ $cpu_flags == *" avx512bw "* && $cpu_flags == *" avx512vl "* && $cpu_flags == *" avx512dq "* ]]; then
  ONEDNN_MAX_CPU_ISA=AVX2 expect 1 \
    "rank 0: on .*: --amp=bf16: this LibTorch cannot compute bf16 convolutions on this CPU" \
    --amp=bf16 --run_dir="$work/r_bf16"
  if [[ -e $work/r_bf16 ]]; then
    echo "FAIL: --amp=bf16 refused, yet it wrote $work/r_bf16"; failures=$((failures + 1))
  fi
else
  echo "skipped: --amp=bf16 refused where oneDNN is held to AVX2 (this CPU lacks AVX-512 BW/VL/DQ)"
fi
expect 2 "--batch_size=33 (the global batch) is not divisible by the 2 ranks" --batch_size=33 --run_dir="$work/r6"
expect 2 "--epochs must be positive, got -1" --epochs=-1 --run_dir="$work/r7"
expect 2 "--mix_partners=sideways is not a partner policy; choose one of: flip, roll, permute, previous, ring" \
  --mix_partners=sideways --run_dir="$work/r8"
expect 2 "--mixup_alpha=-1 must be >= 0" --mixup_alpha=-1 --run_dir="$work/r9"
expect 2 "--cutmix_min_ratio=0.6 exceeds --cutmix_max_ratio=0.5" --cutmix_alpha=1 --cutmix_min_ratio=0.6 \
  --cutmix_max_ratio=0.5 --run_dir="$work/r10"
expect 2 "--lr_schedule=step needs --lr_milestones" --lr_schedule=step --run_dir="$work/r11"
expect 2 "--lr_schedule=linear is not a schedule; choose one of: constant, cosine, step, poly, onecycle" \
  --lr_schedule=linear --run_dir="$work/r12"
expect 2 "--lr_milestones: 'ten' is not a number" --lr_milestones=ten --run_dir="$work/r13"
touch "$work/a_file"
expect 1 "--run_dir=$work/a_file/run cannot be created" --run_dir="$work/a_file/run"
mkdir -p "$work/earlier" && echo '{"old":true}' > "$work/earlier/config.json"
expect 1 "already holds a run (config.json)" --run_dir="$work/earlier"
[[ $(cat "$work/earlier/config.json") == '{"old":true}' ]] || { echo "FAIL: earlier run overwritten"; failures=$((failures + 1)); }
# Flags Abseil would reject with its own "ERROR:" line, a sample limit beyond the split, a mistyped checkpoint.
expect 2 "unknown flag --epoch (run 'strobe --helpfull' for every flag)" --epoch=3 --run_dir="$work/r16"
expect 2 "--flagfile=$work/missing.flags cannot be read" --flagfile="$work/missing.flags" --run_dir="$work/r17"
expect 2 "--epochs=abc: " --epochs=abc --run_dir="$work/r18"
expect 1 "--train_samples=70000 is more than the 60000 images of $data's training split" --train_samples=70000 \
  --run_dir="$work/r19"
expect 1 "--resume: checkpoint $work/nonexistent: no such checkpoint directory" --resume="$work/nonexistent" \
  --run_dir="$work/r20"
# Optimizers and recipes (issue 23): each bad value is one line, and no run directory is written.
expect 2 "--optimizer=adam is not one of sgd, adamw, lamb, lars" --optimizer=adam --run_dir="$work/r21"
expect 2 "--accum_steps must be positive, got 0" --accum_steps=0 --run_dir="$work/r22"
expect 2 "--accum_steps=3 does not divide each rank's share of the global batch (--batch_size=128 over 2 ranks: 64" \
  --accum_steps=3 --run_dir="$work/r23"
expect 2 "--opt_beta1=1 must lie in \[0, 1)" --optimizer=adamw --opt_beta1=1 --run_dir="$work/r24"
expect 2 "--lars_trust_coefficient must be > 0, got 0" --optimizer=lars --lars_trust_coefficient=0 --run_dir="$work/r25"
expect 2 "--ema_decay=1 must lie in \[0, 1)" --ema_decay=1 --run_dir="$work/r26"
expect 2 "--ema_warmup needs --ema_decay > 0" --ema_warmup --run_dir="$work/r27"
for r in 21 22 23 24 25 26 27; do
  [[ ! -e $work/r$r ]] || { echo "FAIL: a refused run wrote $work/r$r"; failures=$((failures + 1)); }
done
# Mixed builds across hosts: rank 1 runs another binary (the same one with a byte appended).
cp "$strobe" "$work/strobe-other" && printf 'x' >>"$work/strobe-other"
output=$(timeout 120 "$mpiexec" -np 1 "$strobe" train --data="$data" --train_samples=256 --run_dir="$work/r14" : \
  -np 1 "$work/strobe-other" train --data="$data" --train_samples=256 --run_dir="$work/r14" 2>&1)
code=$?
if [[ $code -ne 1 ]] || ! grep -q "strobe: error: rank 1: its strobe binary on .* differs from rank 0's" <<<"$output"; then
  echo "FAIL: mixed binaries -> exit $code:"; echo "$output" | sed 's/^/    /'; failures=$((failures + 1))
else
  echo "ok: mixed binaries -> exit $code: $(grep '^strobe: error:' <<<"$output")"
fi
# Ranks given different flags, here by a --flagfile that differs between hosts, are refused before anything runs
# (they would train differently without a word, or wait in collectives the others never start); --threads may differ.
printf -- '--lr=0.1\n--amp=bf16\n' >"$work/host-a.flags"
printf -- '--lr=0.2\n--amp=off\n' >"$work/host-b.flags"
output=$(timeout 120 "$mpiexec" -np 1 "$strobe" train --data="$data" --train_samples=256 --run_dir="$work/r28" \
  --flagfile="$work/host-a.flags" : -np 1 "$strobe" train --data="$data" --train_samples=256 --run_dir="$work/r28" \
  --flagfile="$work/host-b.flags" 2>&1)
code=$?
expected="strobe: error: rank 1 on $(hostname) was started with other settings than rank 0: --amp=off"
expected+=" (rank 0: --amp=bf16), --lr=0.2 (rank 0: --lr=0.1). Every rank of a job must get the same flags"
errors=$(grep -c '^strobe: error:' <<<"$output")
if [[ $code -ne 2 || $errors -ne 1 || -e $work/r28 ]] || ! grep -qF -- "$expected" <<<"$output"; then
  echo "FAIL: ranks with different flags -> exit $code:"; echo "$output" | sed 's/^/    /'; failures=$((failures + 1))
else
  echo "ok: ranks with different flags -> exit $code: $(grep '^strobe: error:' <<<"$output")"
fi
output=$(timeout 120 "$mpiexec" -np 1 "$strobe" train --data="$data" --train_samples=256 --eval_samples=256 --epochs=1 \
  --threads=1 --run_dir="$work/threads" : -np 1 "$strobe" train --data="$data" --train_samples=256 --eval_samples=256 \
  --epochs=1 --threads=2 --run_dir="$work/threads" 2>&1)
code=$?
if [[ $code -ne 0 ]] || ! grep -q '^strobe: done:' <<<"$output"; then
  echo "FAIL: ranks with different --threads -> exit $code:"; echo "$output" | sed 's/^/    /'; failures=$((failures + 1))
else
  echo "ok: ranks with different --threads train: $(grep '^strobe: done:' <<<"$output")"
fi
# A rank that never starts (here: a process that never initialises MPI) must not leave the others waiting, and
# the error names it (rank 1) and its host.
started=$(date +%s)
output=$(timeout 120 "$mpiexec" --oversubscribe -np 1 "$strobe" train --data="$data" --train_samples=256 \
  --run_dir="$work/r15" --startup_timeout_s=5 : -np 1 sleep 100 : -np 1 "$strobe" train --data="$data" \
  --train_samples=256 --run_dir="$work/r15" --startup_timeout_s=5 2>&1)
code=$?
seconds=$(( $(date +%s) - started ))
expected="the job did not start within 5 s (--startup_timeout_s): 1 of 3 ranks never started: rank 1 (host $(hostname))"
if [[ $code -ne 1 || $seconds -ge 60 ]] || ! grep -qF "$expected" <<<"$output" || ! grep -q "Ranks 0,2 are up" <<<"$output"
then
  echo "FAIL: a rank that never starts -> exit $code after $seconds s:"; echo "$output" | sed 's/^/    /'
  failures=$((failures + 1))
else
  echo "ok: a rank that never starts -> exit $code after $seconds s: $(grep '^strobe: error:' <<<"$output")"
fi
for dir in r1 r2 r3 r4 r5 r6 r7 r8 r9 r10 r11 r12 r13 r14 r15 r16 r17 r18 r19 r20; do
  [[ ! -e "$work/$dir" ]] || { echo "FAIL: a failed run left $work/$dir behind"; failures=$((failures + 1)); }
done

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "PASS: all bad-input cases"
