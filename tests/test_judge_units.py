"""Pieces of the judge in isolation: the result document and its schema, the
reports, messages from the worker's error facts, the static checks, device
resolution, the meta-device probe and the finite-difference check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import torch

from quizzer.errors import UsageError
from quizzer.judge import device as device_module
from quizzer.judge import explain, report
from quizzer.judge.result import SCHEMA_PATH, CheckResult, Status, overall, schema_text
from quizzer.judge.static import SourceRejected, decode_source, forbidden_uses
from quizzer.judge.worker import harness as worker
from tests.judge_support import judge_source

# one worker builds the failing result once (a module fixture is built once per worker)
pytestmark = pytest.mark.xdist_group("judge-units")


def test_the_shipped_schema_is_the_generated_one():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()


def test_overall_status_fails_closed():
    ok = CheckResult(name="load", status=Status.PASS)
    assert overall([ok])[0] is Status.PASS
    assert overall([])[0] is Status.ERROR
    assert overall([ok, CheckResult(name="x", status=Status.SKIPPED)])[0] is Status.ERROR
    bad = CheckResult(name="shapes", status=Status.FAIL, message="wrong\ndetail")
    assert overall([ok, CheckResult(name="e", status=Status.ERROR), bad]) == (
        Status.FAIL,
        "shapes: wrong",
    )


@pytest.fixture(scope="module")
def failing_result():
    return judge_source("import torch.nn as nn\nclass SimpleNN(nn.Module):\n    pass\n")


def test_reports_are_projections_of_the_document(failing_result):
    doc = json.loads(failing_result.to_json())
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    text = report.text(failing_result)
    md = report.markdown([failing_result])
    xml = report.junit([failing_result])
    for check in failing_result.checks:
        assert check.name in text and check.name in md and f'name="{check.name}"' in xml
    assert failing_result.status.value in md
    # a failing report ends with the command that judges the file again, same seed
    repro = f"--task simple-nn --seed {failing_result.seed} --device cpu"
    assert f"  reproduce: quizzer judge submission.py {repro}" in text


def test_syntax_error_message_has_line_and_caret():
    text = explain.syntax_error(
        {
            "type": "SyntaxError",
            "message": "invalid syntax",
            "lineno": 3,
            "offset": 9,
            "text": "    x = = 1",
        }
    )
    assert text.splitlines() == [
        "submission.py:3:9: SyntaxError: invalid syntax",
        "    x = = 1",
        "        ^",
    ]


def test_layer_hint_explains_a_linear_mismatch():
    error = {
        "type": "RuntimeError",
        "message": "mat1 and mat2 shapes cannot be multiplied (4x32 and 21632x10)",
        "frames": [[12, "forward", "x = self.fc1(x)"]],
        "module": {
            "name": "fc1",
            "type": "Linear",
            "repr": "Linear(21632, 10)",
            "input_shapes": [[4, 32]],
            "in_features": 21632,
            "in_channels": None,
        },
    }
    text = explain.exception(error, "forward")
    assert "fc1 (Linear(21632, 10)) expects 21632 input features but receives 32" in text
    assert "  submission.py:12 in forward: x = self.fc1(x)" in text


def test_explain_survives_hostile_facts():
    assert "unreadable" in explain.exception("not a dict", "forward")
    text = explain.exception(
        {"type": 5, "message": ["x"] * 5000, "frames": [[1, 2]], "module": 7}, "load"
    )
    assert len(text) <= explain.MAX_MESSAGE + 60
    assert "\x1b" not in explain.cap("a\x1b[31mred")


def test_forbidden_apis_follow_import_aliases():
    source = (
        "import torch.nn as nn\nfrom torch.nn import functional as F\n"
        "m = nn.Linear(2, 2)\ny = F.relu\n"
    )
    assert forbidden_uses(source, ("torch.nn.Linear",)) == [("torch.nn.Linear", 3)]
    assert forbidden_uses(source, ("torch.nn.functional.relu",)) == [
        ("torch.nn.functional.relu", 4)
    ]
    assert forbidden_uses(source, ("torch.nn.Conv2d",)) == []


@pytest.mark.parametrize(
    ("raw", "words"),
    [(b"x = '\xff'\n", "not UTF-8"), (b"x = 1\x00\n", "NUL"), (b"#" * (2 << 20), "the limit is")],
)
def test_unreadable_sources_are_rejected(raw, words):
    with pytest.raises(SourceRejected, match=words):
        decode_source(raw)


def test_a_non_utf8_file_fails_at_load_without_running():
    from quizzer.judge.runner import Options, judge_bytes, open_sandbox
    from tests.judge_support import task

    result = judge_bytes(
        b"\xff\xfe", task("simple-nn"), open_sandbox(), Options(device="cpu", seed=1)
    )
    assert result.status is Status.FAIL and "not UTF-8" in result.checks[0].message
    assert result.sandbox.exit_code is None


def test_device_resolution(monkeypatch):
    monkeypatch.setattr(device_module, "_no_gpu_device_nodes", lambda: False)
    monkeypatch.setattr(device_module, "cuda_device_count", lambda: 0)
    assert device_module.resolve_device("auto") == "cpu"
    assert device_module.resolve_device("cpu") == "cpu"
    with pytest.raises(UsageError, match="no CUDA GPU"):
        device_module.resolve_device("cuda")
    monkeypatch.setattr(device_module, "cuda_device_count", lambda: 1)
    assert device_module.resolve_device("auto") == "cuda"
    # where Linux shows no NVIDIA device node, auto is the CPU without asking torch
    monkeypatch.setattr(device_module, "_no_gpu_device_nodes", lambda: True)
    monkeypatch.setattr(device_module, "cuda_device_count", lambda: 1 / 0)
    assert device_module.resolve_device("auto") == "cpu"


def test_resolving_the_device_does_not_initialise_cuda():
    probe = (
        "import torch\nfrom quizzer.judge.device import resolve_device\nresolve_device('auto')\n"
        "print(torch.cuda.is_initialized())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "False", done.stderr


def _meta(forward_body: str, init: str = "") -> dict:
    source = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        "class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        f"        self.fc = nn.Linear(10, 3)\n{init}"
        f"    def forward(self, x):\n        {forward_body}\n"
    )
    host = worker.modelhost.Host()
    host.op_load({"source": source, "class_name": "M"}, None)
    return host.op_meta({"seed": 0, "xs": [torch.randn(2, 10)]}, None)


@pytest.mark.parametrize(
    "body",
    [
        "return self.fc(x) * torch.tensor(0.5)",
        "return self.fc(x) + torch.zeros_like(self.fc(x))",
        "return self.fc(x) + x.new_zeros(x.shape[0], 3)",
        "return F.dropout(F.relu(self.fc(x)), 0.5, self.training)",
        "return self.fc(x) + torch.ones(3, device=x.device)",
    ],
)
def test_meta_probe_raises_no_false_alarm(body):
    probe = _meta(body)
    assert probe["violations"] == [] and "error" not in probe and probe["out_device"] == "meta"


@pytest.mark.parametrize(
    ("body", "init"),
    [
        ("return self.fc(x) + torch.ones(3)", ""),
        ("return self.fc(x) * self.w", "        self.w = torch.ones(3)\n"),
        ("return self.fc(x @ torch.eye(10))", ""),
    ],
)
def test_meta_probe_catches_hard_coded_devices(body, init):
    assert _meta(body, init)["violations"]


def test_meta_probe_notes_moves_off_the_device():
    probe = _meta("return self.fc(x.cpu())")
    assert probe["violations"] and probe["violations"][0]["call"] == "cpu"


WRONG_BY = """
import torch, torch.nn as nn
class Scale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.tanh(x)
    @staticmethod
    def backward(ctx, g):
        return g * {factor}
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(10, 5), nn.Linear(5, 3)
    def forward(self, x):
        return self.fc2(Scale.apply(self.fc1(x)))
"""


def test_a_backward_off_by_one_percent_fails_the_gradient_check():
    """tanh' is not constant, so `g * 1.0` is also wrong; `g * 1.01 * (1 - tanh^2)` is
    the subtle case: right shape, right sign, one percent too large."""
    source = WRONG_BY.format(factor="1.01 * (1 - torch.tanh(ctx.saved_x) ** 2)").replace(
        "return torch.tanh(x)", "ctx.saved_x = x\n        return torch.tanh(x)"
    )
    result = judge_source(source)
    grads = next(c for c in result.checks if c.name == "gradients")
    assert grads.status is Status.FAIL and "ratio 1.01" in grads.message


@pytest.mark.slow
def test_relu_kinks_do_not_fail_a_correct_cnn():
    """The gradient check against finite differences, on a CNN full of ReLU kinks, for
    several seeds. Only the checks up to it run: the learning check, most of a CNN's
    judgement, says nothing about kinks (the golden cases run it)."""
    from quizzer.judge.runner import Options, judge_bytes
    from tests.judge_support import TASKS, task, warm_sandbox

    cnn = task("simple-cnn")
    checks = ("load", "shapes", "gradients")
    cnn = cnn.model_copy(update={"spec": cnn.spec.model_copy(update={"checks": checks})})
    source = (TASKS / "simple-cnn" / "reference.py").read_bytes()
    for seed in (1, 2, 3):
        result = judge_bytes(source, cnn, warm_sandbox(), Options(device="cpu", seed=seed))
        assert [c.name for c in result.checks] == list(checks)
        assert result.status is Status.PASS, result.message


def test_torch_free_judge_modules_do_not_import_torch():
    probe = (
        "import sys\n"
        "import quizzer.judge.result, quizzer.judge.wire, quizzer.judge.explain\n"
        "import quizzer.judge.static, quizzer.judge.report\n"
        "print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_the_worker_imports_only_the_standard_library_and_torch():
    """The sandbox loads the worker's folder by path, without quizzer on its path: its
    files import the standard library, torch and (relatively) each other."""
    import ast

    roots = set()
    for path in Path(worker.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots.add((node.module or "").split(".")[0])
    assert roots - set(sys.stdlib_module_names) - {"__future__"} == {"torch"}


@pytest.mark.parametrize(
    "build, backward_runs", [({}, True), ({"cuda": "12.4"}, False), ({"hip": "6.1"}, False)]
)
def test_a_warm_parent_runs_autograd_only_on_a_cpu_only_torch(monkeypatch, build, backward_runs):
    """On a GPU build, a backward pass in the warm parent starts autograd's device
    threads, after which every forked child's backward fails."""
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None, raising=False)
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: False)
    if hasattr(torch, "xpu"):
        monkeypatch.setattr(torch.xpu, "_is_compiled", lambda: False, raising=False)
    for name, value in build.items():
        monkeypatch.setattr(torch.version, name, value, raising=False)
    calls = []
    monkeypatch.setattr(torch.Tensor, "backward", lambda self, *a, **k: calls.append(self))
    worker.warm_up()
    assert bool(calls) is backward_runs


def test_the_address_space_limit_is_counted_from_what_torch_has_mapped():
    """The "none" sandbox asks the worker to limit its address space after importing
    torch: a process that has already mapped gigabytes (as a GPU build of torch does)
    still gets its budget, and no more."""
    script = (
        "import mmap, os\n"
        "from quizzer.judge.worker import harness as worker\n"
        "held = mmap.mmap(-1, 4 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS"
        " | getattr(mmap, 'MAP_NORESERVE', 0))\n"
        "os.environ[worker.ADDRESS_SPACE_ENV] = '96'\n"
        "worker._limit_address_space()\n"
        "assert worker.ADDRESS_SPACE_ENV not in os.environ\n"
        "small = bytearray(32 << 20)\n"
        "try:\n"
        "    bytearray(256 << 20)\n"
        "    print('big allocation allowed')\n"
        "except MemoryError:\n"
        "    print('big allocation refused')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "big allocation refused"


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("cuda:0", "cuda", True),
        ("cuda", "cuda:1", True),
        ("cuda:0", "cuda:1", False),
        ("cpu", "cuda", False),
        ("cpu", "cpu", True),
        ("meta", "cpu", False),
    ],
)
def test_a_model_moved_with_to_cuda_is_on_the_requested_device(a, b, same):
    """`.to("cuda")` puts parameters on cuda:0, which is where "cuda" asked for."""
    assert worker.modelhost.same_device(torch.device(a), torch.device(b)) is same


def test_judging_runs_torch_on_one_thread_in_the_trusted_process():
    """The trusted side's tensors are small: torch's own threads there only wait on one
    another, and on a busy machine for a long time (`runner.one_thread`)."""
    import torch

    from tests.judge_support import judge_source

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        result = judge_source("class SimpleNN(:\n")  # answered before any sandbox runs
        assert result.checks[0].status.value == "fail"
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
