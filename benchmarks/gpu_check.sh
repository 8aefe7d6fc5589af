#!/usr/bin/env bash
# The CUDA checks, for a machine with an NVIDIA GPU and a CUDA build of torch:
# the CUDA tests, every bundled task's reference judged on CUDA under each sandbox
# that this machine has, and one timing of a whole `quizzer judge` call on CPU and on
# CUDA in the same run. Usage: bash benchmarks/gpu_check.sh [PYTHON] (default python3).
# Writes nothing outside /tmp; the exit status is that of the CUDA tests.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${1:-python3}
export PYTHONUNBUFFERED=1

echo "== machine"
nvidia-smi -L 2>&1 | head -4
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
"devices", torch.cuda.device_count(),
torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
ldconfig -p 2>/dev/null | grep -m2 'libcuda.so' || echo "libcuda.so is not in the ld.so cache"
command -v bwrap || echo "no bwrap: the process sandbox is not available here"

echo "== CUDA tests"
"$PY" -m pytest -p no:cacheprovider -q -rA tests/test_judge_cuda.py \
    tests/test_judge_units.py tests/test_judge_cli.py 2>&1 | tail -40
status=${PIPESTATUS[0]}

echo "== every reference on CUDA"
sandboxes=(none)
command -v bwrap >/dev/null && sandboxes+=(process)
for sandbox in "${sandboxes[@]}"; do
    for task in questions/tasks/*/; do
        id=$(basename "$task")
        out=$("$PY" -m quizzer judge "$task/reference.py" --task "$id" --device cuda \
            --sandbox "$sandbox" --seed 1 2>&1)
        echo "[$sandbox] $id: exit $? | $(echo "$out" | grep -m1 -iE 'pass|fail|error')"
        [ "$id" = simple-cnn ] && echo "$out" | tail -15
    done
done

echo "== whole call, simple-cnn reference, 3 runs each"
"$PY" - <<'EOF'
import subprocess, sys, time
for device in ("cpu", "cuda"):
    for _ in range(3):
        start = time.monotonic()
        code = subprocess.run(
            [sys.executable, "-m", "quizzer", "judge", "questions/tasks/simple-cnn/reference.py",
             "--task", "simple-cnn", "--device", device, "--seed", "1"],
            capture_output=True,
        ).returncode
        print(f"{device}: exit {code}, {time.monotonic() - start:.2f} s")
EOF
exit "$status"
