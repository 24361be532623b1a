#!/usr/bin/env bash
# Damaged and mismatched checkpoints: a flipped byte, a truncated file, a deleted file, a tampered manifest, a newer
# format version, another model. `strobe inspect` and `--resume=PATH` name the checkpoint, the file and the
# problem and exit non-zero; --resume=auto skips a damaged newest checkpoint with a warning, resumes the one
# before and replaces the damaged one when it saves that step again; no failed run deletes or changes a checkpoint.
# Then the export: Python's torch.load (Debian's python3-torch) reads the model as a state_dict with the model's
# parameter names.
# Usage: checkpoint_corruption_test.sh STROBE_BINARY MPIEXEC
set -euo pipefail
strobe=$1
mpiexec=$2
data=${STROBE_TEST_DATA:-/usr/share/datasets/fashion-mnist}
python=${STROBE_TEST_PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
flags=(--data="$data" --train_samples=512 --batch_size=64 --epochs=2 --eval_samples=200 --log_every=4
       --checkpoint_every_steps=4 --keep_checkpoints=0)
timeout 240 "$mpiexec" -np 2 "$strobe" train "${flags[@]}" --run_dir="$work/run" >"$work/run.log" 2>&1 \
  || { cat "$work/run.log"; fail "training failed"; }
checkpoints=$work/run/checkpoints
"$strobe" inspect "$checkpoints/step-000000016" >"$work/inspect.txt" || fail "inspect rejects a good checkpoint"
grep -q "valid: every file matches its checksum" "$work/inspect.txt" || fail "inspect does not say valid"
grep -q "model.pt .* ok (" "$work/inspect.txt" || fail "inspect does not describe the model"
snapshot() { find "$checkpoints" -type f -exec cksum {} + | sort; }

# expect_rejected NAME EXPECTED_MESSAGE: inspect and resume both fail on damaged copy NAME with the message.
expect_rejected() {
  local name=$1 message=$2 output status
  output=$("$strobe" inspect "$work/$name" 2>&1) && fail "inspect accepted $name"
  grep -q -- "$message" <<<"$output" || { echo "$output"; fail "inspect of $name lacks '$message'"; }
  status=0
  output=$(timeout 120 "$mpiexec" -np 2 "$strobe" train "${flags[@]}" --run_dir="$work/resume-$name" \
    --resume="$work/$name" 2>&1) || status=$?
  [[ $status -ne 0 ]] || fail "--resume accepted $name"
  grep -q -- "strobe: error: .*--resume: checkpoint $work/$name" <<<"$output" || { echo "$output"; fail "resume error for $name does not name it"; }
  grep -q -- "$message" <<<"$output" || { echo "$output"; fail "resume error for $name lacks '$message'"; }
  echo "ok: $name: $(grep -m1 -o "strobe: error: .*" <<<"$output")"
}
damaged() { cp -r "$checkpoints/step-000000012" "$work/$1"; }

before=$(snapshot)
damaged flipped && printf '\x55' | dd of="$work/flipped/model.pt" bs=1 seek=4000 conv=notrunc status=none
expect_rejected flipped "model.pt fails its CRC-32 check (corrupted)"
damaged truncated && truncate -s 1000 "$work/truncated/rank-00001.pt"
expect_rejected truncated "rank-00001.pt has 1000 bytes, the manifest says .* (truncated?)"
damaged deleted && rm "$work/deleted/optimizer.pt"
expect_rejected deleted "optimizer.pt is missing"
damaged tampered && sed -i 's/^step 12$/step 13/' "$work/tampered/MANIFEST"
expect_rejected tampered "checksum mismatch: the manifest is corrupted"
damaged newer && "$python" - "$work/newer/MANIFEST" <<'PY'
import sys, zlib
path = sys.argv[1]
body = open(path).read().splitlines(keepends=True)[:-1]
body[0] = "strobe-checkpoint 2\n"
text = "".join(body)
open(path, "w").write(text + "crc32 %08x\n" % zlib.crc32(text.encode()))
PY
expect_rejected newer "format version 2 is newer than this build of strobe reads (up to 1)"
expect_rejected missing-dir "no such checkpoint directory"

status=0
output=$(timeout 120 "$mpiexec" -np 2 "$strobe" train "${flags[@]}" --model=resnet18 --run_dir="$work/other-model" \
  --resume="$checkpoints/step-000000012" 2>&1) || status=$?
[[ $status -ne 0 ]] || fail "a resnet18 run loaded a resnet20 checkpoint"
grep -q "holds a resnet20 model, but --model=resnet18" <<<"$output" || { echo "$output"; fail "no model mismatch error"; }
echo "ok: another model: $(grep -m1 -o "strobe: error: .*" <<<"$output")"
[[ $before == "$(snapshot)" ]] || fail "a failed run changed or deleted checkpoints"

# --resume=auto passes over a damaged newest checkpoint, with a warning, to the newest valid one.
cp -r "$work/run" "$work/auto"
printf '\x55' | dd of="$work/auto/checkpoints/step-000000016/optimizer.pt" bs=1 seek=100 conv=notrunc status=none
output=$(timeout 120 "$mpiexec" -np 2 "$strobe" train "${flags[@]}" --epochs=3 --run_dir="$work/auto" \
  --resume=auto 2>&1) || { echo "$output"; fail "--resume=auto failed"; }
grep -q "skipped an invalid checkpoint: checkpoint .*step-000000016: optimizer.pt fails its CRC-32 check" <<<"$output" \
  || { echo "$output"; fail "no warning about the damaged checkpoint"; }
grep -q "resumed from $work/auto/checkpoints/step-000000012" <<<"$output" || { echo "$output"; fail "did not resume step 12"; }
# Training through step 16 again replaces the damaged checkpoint instead of keeping it.
grep -q "strobe: warning: replacing a damaged checkpoint: checkpoint $work/auto/checkpoints/step-000000016: optimizer.pt" \
  <<<"$output" || { echo "$output"; fail "no warning that the damaged step 16 was replaced"; }
"$strobe" inspect "$work/auto/checkpoints/step-000000016" >/dev/null || fail "step 16 is still damaged after the rerun"
[[ ! -e $work/auto/checkpoints/step-000000016.damaged ]] || fail "the damaged copy of step 16 was left behind"
echo "ok: --resume=auto skipped the damaged step 16 with a warning, resumed step 12 and replaced step 16"

"$strobe" export "$checkpoints/step-000000016" "$work/model.pt" >/dev/null || fail "export failed"
"$strobe" export "$checkpoints/step-000000016" "$work/model.pt" 2>/dev/null && fail "export overwrote its output"
"$strobe" export "$work/flipped" "$work/bad.pt" 2>/dev/null && fail "export accepted a corrupted checkpoint"
"$python" - "$work/model.pt" <<'PY' || fail "torch.load of the export"
import sys, torch
state = torch.load(sys.argv[1])
assert isinstance(state, dict), type(state)
assert all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())
assert state["fc.weight"].shape == (10, 64), state["fc.weight"].shape
assert "stem.1.running_mean" in state and "stem.0.weight" in state, sorted(state)[:8]
assert all(torch.isfinite(v.float()).all() for v in state.values())
print("ok: torch.load reads the export: %d tensors, %d values, e.g. %s"
      % (len(state), sum(v.numel() for v in state.values()), ", ".join(sorted(state)[:3])))
PY
echo "PASS: damaged checkpoints rejected by name, failed runs touch nothing, auto resume skips damage, export loads"
