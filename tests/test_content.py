"""Content checks for the bundled concept questions (questions/*.yaml, not tasks/).

The generic checks (schema, duplicate ids, translations present, snippets print their
stated answers) belong to `quizzer bank validate` and `quizzer bank verify`. These tests
check what the content promises: the seed article's mistakes are corrected by named
questions with the right keys, the bank meets its size and coverage targets, both
languages carry real text, numeric keys agree with what PyTorch computes, and
short answers reject the classic near misses.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from quizzer.bank import Bank, load_bank
from quizzer.bank.grading import grade
from quizzer.bank.models import (
    CodeOutput,
    MultipleChoice,
    Numeric,
    Open,
    Question,
    ShortAnswer,
    SingleChoice,
    Text,
    TrueFalse,
    text_in,
)

REPO = Path(__file__).resolve().parents[1]
CONCEPT_FILES = sorted((REPO / "questions").glob("*.yaml"))

CONCEPT_TYPES = (
    "single_choice",
    "multiple_choice",
    "true_false",
    "numeric",
    "short_answer",
    "code_output",
    "open",
)
MIN_TOTAL = 120
MIN_CODE_OUTPUT = 30
#: Each concept type appears at least this often, so every grading path gets practice.
MIN_PER_TYPE = 3
#: Topics the bank must cover, with the fewest questions each may have.
REQUIRED_TOPICS = {
    "dynamic-graphs": 8,
    "autograd": 15,
    "graph-capture": 8,
    "nn-module": 10,
    "initialisation": 5,
    "losses": 6,
    "optimizers": 8,
    "regularisation": 5,
    "cnn-arithmetic": 10,
    "data-loading": 5,
    "mixed-precision": 5,
    "devices-memory": 6,
    "debugging": 6,
    "distributed": 6,
}
#: An explanation must teach, not restate: at least this many characters of English.
MIN_EXPLANATION_CHARS = 250
REFERENCE_HOSTS = {"pytorch.org", "docs.pytorch.org", "www.tensorflow.org"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def bank() -> Bank:
    assert CONCEPT_FILES, "no concept question files under questions/"
    return load_bank(CONCEPT_FILES, include_bundled=False, env={})


@pytest.fixture(scope="module")
def concepts(bank: Bank) -> tuple[Question, ...]:
    return tuple(q for q in bank.questions if q.type in CONCEPT_TYPES)


def texts(question: Question) -> Iterator[tuple[str, Text]]:
    """Every learner-facing text of a concept question, with a name for messages."""
    yield "prompt", question.prompt
    yield "explanation", question.explanation
    for i, hint in enumerate(question.hints):
        yield f"hints[{i}]", hint
    if isinstance(question, (SingleChoice, MultipleChoice)):
        for option in question.options:
            yield f"option {option.id}", option.text
    if isinstance(question, Open):
        yield "model_answer", question.model_answer
        for i, point in enumerate(question.rubric):
            yield f"rubric[{i}]", point


def option_text(question: SingleChoice | MultipleChoice, oid: str) -> str:
    return next(text_in(o.text, "en") for o in question.options if o.id == oid)


# --- the seed's mistakes are corrected ------------------------------------------------


def test_no_grad_is_not_a_cache(bank: Bank) -> None:
    claim = bank.get("autograd-no-grad-does-not-cache")
    assert isinstance(claim, TrueFalse) and claim.answer is False
    assert "cache" in text_in(claim.prompt).lower()
    tips = bank.get("dynamic-graphs-optimise-performance")
    assert isinstance(tips, MultipleChoice)
    assert "empty_cache" not in tips.answer and "inference" in tips.answer
    choices = bank.get("autograd-no-grad-vs-inference-mode")
    assert isinstance(choices, MultipleChoice)
    # Inference tensors may enter recorded ops; only saving them for backward raises.
    assert "restricted" in choices.answer and "never_outside" not in choices.answer
    assert "saved for backward" in " ".join(text_in(choices.explanation).split())
    fails = bank.get("autograd-no-grad-training-forward")
    assert isinstance(fails, SingleChoice)
    assert "does not have a grad_fn" in option_text(fails, fails.answer)


def test_tensorflow_2_is_eager_by_default(bank: Bank) -> None:
    claim = bank.get("dynamic-graphs-tensorflow-static")
    assert isinstance(claim, TrueFalse) and claim.answer is False
    today = bank.get("dynamic-graphs-static-vs-dynamic-today")
    assert isinstance(today, MultipleChoice)
    assert {"tf2_eager", "tf_function"} <= set(today.answer)


def test_pytorch_captures_graphs_too(bank: Bank) -> None:
    today = bank.get("dynamic-graphs-static-vs-dynamic-today")
    assert isinstance(today, MultipleChoice)
    assert "torch_capture" in today.answer and "torch_only_eager" not in today.answer
    named = option_text(today, "torch_capture")
    for tool in ("torch.compile", "torch.fx", "torch.export", "TorchScript"):
        assert tool in named


def test_graph_capture_covers_every_tool(concepts: tuple[Question, ...]) -> None:
    tags = {t for q in concepts if q.topic == "graph-capture" for t in q.tags}
    for tool in ("torch-compile", "torch-fx", "torchscript", "torch-export"):
        assert tool in tags, f"no graph-capture question is tagged {tool}"
    status = next(q for q in concepts if q.id == "graph-capture-torchscript-status")
    assert isinstance(status, TrueFalse) and status.answer is False


def test_call_the_module_not_forward(bank: Bank) -> None:
    question = bank.get("nn-module-call-vs-forward")
    assert isinstance(question, CodeOutput)
    assert "model(x)" in question.code and "model.forward(x)" in question.code
    # The hook ran once (for model(x)) although the model was run twice.
    assert question.answer.split()[0] == "1"


def test_two_linear_layers_are_one_linear_map(bank: Bank) -> None:
    question = bank.get("nn-module-two-linear-collapse")
    assert isinstance(question, SingleChoice)
    assert "affine" in option_text(question, question.answer)
    proof = bank.get("nn-module-two-linear-collapse-proof")
    assert isinstance(proof, CodeOutput)
    assert proof.answer.split() == ["True", "33"]


def test_seed_cnn_shape_bug(bank: Bank) -> None:
    shapes = bank.get("cnn-arithmetic-seed-cnn-shapes")
    assert isinstance(shapes, CodeOutput)
    assert shapes.answer.split()[-1] == "32])"
    crash = bank.get("cnn-arithmetic-seed-cnn-error")
    assert isinstance(crash, CodeOutput)
    assert "nn.Linear(32 * 26 * 26, 10)" in crash.code
    assert "adaptive_avg_pool2d(x, (1, 1))" in crash.code
    assert "(1x32 and 21632x10)" in crash.answer
    # The fixes once asked separately (issue 16 merged them into this explanation).
    why = text_in(crash.explanation)
    for fix in ("nn.Linear(32, 10)", "nn.LazyLinear(10)", "reshape"):
        assert fix in why, fix


def test_dynamic_graphs_do_not_make_migration_easy(bank: Bank) -> None:
    claim = bank.get("dynamic-graphs-easy-to-migrate")
    assert isinstance(claim, TrueFalse) and claim.answer is False
    pros = bank.get("dynamic-graphs-advantages")
    assert isinstance(pros, MultipleChoice)
    assert "portable" not in pros.answer and "faster" not in pros.answer


def test_performance_row_gets_nuance(bank: Bank) -> None:
    question = bank.get("dynamic-graphs-performance-nuance")
    assert isinstance(question, Open)
    rubric = " ".join(text_in(point) for point in question.rubric)
    assert "torch.compile" in rubric
    assert "overhead" in rubric
    assert "TensorFlow 2" in rubric or "TF2" in rubric


#: Every question and claim of the seed article, and a question that covers it.
SEED_COVERAGE = {
    "Q1 what is a dynamic graph": "dynamic-graphs-what-is",
    "Q2 static vs dynamic, TensorFlow static": "dynamic-graphs-tensorflow-static",
    "Q3 advantages": "dynamic-graphs-advantages",
    "Q3 easy to migrate": "dynamic-graphs-easy-to-migrate",
    "Q4 define with nn.Module": "nn-module-anatomy",
    "Q4 the SimpleModel printed": "nn-module-print-seed-model",
    "Q5 graph built at model.forward": "dynamic-graphs-when-recorded",
    "Q5 calling forward directly": "nn-module-call-vs-forward",
    "Q6 no_grad caches": "autograd-no-grad-does-not-cache",
    "Q6 use the GPU": "devices-memory-seed-device-idiom",
    "Q7 table": "dynamic-graphs-seed-table-critique",
    "Q7 performance row": "dynamic-graphs-performance-nuance",
    "coding 1 SimpleNN has no hidden nonlinearity": "nn-module-two-linear-collapse",
    "coding 1 training step": "optimizers-seed-training-step",
    "coding 1 loss": "losses-cross-entropy-inputs",
    "coding 2 SimpleCNN crashes": "cnn-arithmetic-seed-cnn-error",
}


@pytest.mark.parametrize("claim", sorted(SEED_COVERAGE))
def test_every_seed_claim_has_a_seed_question(bank: Bank, claim: str) -> None:
    question = bank.get(SEED_COVERAGE[claim])
    assert question.source == "seed", f"{question.id} should say `source: seed`"


# --- size, coverage, languages ----------------------------------------------------------


def test_bank_size_and_type_mix(concepts: tuple[Question, ...]) -> None:
    counts = Counter(q.type for q in concepts)
    assert len(concepts) >= MIN_TOTAL, counts
    assert counts["code_output"] >= MIN_CODE_OUTPUT, counts
    for kind in CONCEPT_TYPES:
        assert counts[kind] >= MIN_PER_TYPE, f"only {counts[kind]} {kind} questions"


def test_topics_are_covered(concepts: tuple[Question, ...]) -> None:
    counts = Counter(q.topic for q in concepts)
    short = {t: counts[t] for t, need in REQUIRED_TOPICS.items() if counts[t] < need}
    assert not short, f"topics below their minimum: {short}"


def test_difficulties_are_mixed(concepts: tuple[Question, ...]) -> None:
    counts = Counter(q.difficulty for q in concepts)
    for level in ("easy", "medium", "hard"):
        assert counts[level] >= len(concepts) // 20, counts


def test_files_ids_and_topics_agree(bank: Bank, concepts: tuple[Question, ...]) -> None:
    for question in concepts:
        assert bank.location(question.id).path.stem == question.topic, question.id
        assert question.id.startswith(question.topic + "-"), question.id
        assert question.tags, f"{question.id} has no tags"
        assert question.hints, f"{question.id} has no hints"


def test_every_text_is_written_in_both_languages(concepts: tuple[Question, ...]) -> None:
    for question in concepts:
        for name, text in texts(question):
            where = f"{question.id}: {name}"
            assert isinstance(text, dict), f"{where} is not an en/zh map"
            en, zh = text.get("en", "").strip(), text.get("zh", "").strip()
            assert en and zh, f"{where} lacks a language"
            assert not CJK.search(en), f"{where}: the English text holds Chinese"
            # Pure code (an option that is a line of Python) reads the same in both.
            assert CJK.search(zh) or zh == en, f"{where}: the Chinese text has no Chinese"


def test_explanations_teach(concepts: tuple[Question, ...]) -> None:
    for question in concepts:
        en = text_in(question.explanation, "en")
        zh = text_in(question.explanation, "zh")
        assert len(en) >= MIN_EXPLANATION_CHARS, f"{question.id}: explanation too thin"
        assert len(zh) >= MIN_EXPLANATION_CHARS // 3, f"{question.id}: zh explanation too thin"
        assert en.strip() != text_in(question.prompt, "en").strip()


def test_references_are_official_docs(concepts: tuple[Question, ...]) -> None:
    for question in concepts:
        assert question.references, f"{question.id} has no references"
        for ref in question.references:
            url = urlparse(ref.url)
            assert url.scheme == "https" and url.hostname in REFERENCE_HOSTS, ref.url


def test_multiple_choice_has_right_and_wrong_options(concepts: tuple[Question, ...]) -> None:
    for question in concepts:
        if isinstance(question, MultipleChoice):
            assert 1 < len(question.answer) < len(question.options), question.id


def test_true_false_keys_are_not_all_the_same(concepts: tuple[Question, ...]) -> None:
    keys = Counter(q.answer for q in concepts if isinstance(q, TrueFalse))
    assert keys[True] >= 1 and keys[False] >= 1, keys


def test_snippets_print_the_same_on_every_machine(concepts: tuple[Question, ...]) -> None:
    for question in concepts:
        if isinstance(question, CodeOutput):
            assert "cuda" not in question.code, f"{question.id}: output would depend on a GPU"
            assert "import numpy" not in question.code, f"{question.id}: numpy is optional"
            assert question.answer.strip(), question.id


# --- keys agree with PyTorch ---------------------------------------------------------------


def _params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _seed_simple_nn() -> float:
    from torch import nn

    return _params(nn.Sequential(nn.Linear(10, 5), nn.Linear(5, 3)))


def _resnet_stem() -> float:
    import torch
    from torch import nn

    return nn.Conv2d(3, 64, 7, stride=2, padding=3)(torch.zeros(1, 3, 224, 224)).shape[-1]


def _resnet_pool() -> float:
    import torch
    from torch import nn

    return nn.MaxPool2d(3, stride=2, padding=1)(torch.zeros(1, 64, 112, 112)).shape[-1]


def _conv_params() -> float:
    from torch import nn

    return _params(nn.Conv2d(3, 64, 3))


def _mean_square_grad() -> float:
    import torch

    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**2).mean().backward()
    assert x.grad is not None
    return x.grad[2].item()


def _receptive_field(layers: list[tuple[int, int]]) -> float:
    """Width of the input region that one central output unit depends on, measured
    with autograd: the input pixels that receive a non-zero gradient."""
    import torch
    from torch import nn

    x = torch.zeros(1, 1, 64, 64, requires_grad=True)
    h = x
    for kernel, stride in layers:
        conv = nn.Conv2d(1, 1, kernel, stride, bias=False)
        nn.init.ones_(conv.weight)
        h = conv(h)
    centre = h.shape[-1] // 2
    h[0, 0, centre, centre].backward()
    assert x.grad is not None
    return int((x.grad[0, 0].abs().sum(0) > 0).sum())


def _depthwise_separable() -> float:
    from torch import nn

    return _params(nn.Conv2d(64, 64, 3, groups=64)) + _params(nn.Conv2d(64, 128, 1))


def _adam_gigabytes_per_billion() -> float:
    import torch

    p = torch.nn.Parameter(torch.zeros(1000))
    opt = torch.optim.Adam([p])
    p.sum().backward()
    opt.step()
    assert p.grad is not None
    held = [p, p.grad, *(t for t in opt.state[p].values() if t.numel() == p.numel())]
    bytes_per_param = sum(t.nbytes for t in held) / p.numel()
    params, gigabyte = 1e9, 1e9
    return bytes_per_param * params / gigabyte


def _kaiming_std() -> float:
    import math

    from torch import nn

    fan_in = nn.Linear(512, 256).weight.shape[1]
    return nn.init.calculate_gain("relu") / math.sqrt(fan_in)


def _accumulated_token_loss() -> float:
    import torch

    micro_batches = [torch.full((10,), 1.0), torch.full((90,), 2.0)]  # per-token losses
    return sum(m.mean() / len(micro_batches) for m in micro_batches).item()


def _gelu_linear_activation_mib() -> float:
    """Bytes autograd saves for F.gelu(Linear(4096, 16384)(x)), parameters excluded,
    measured with saved-tensor hooks on the meta device (no memory used)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    fc = nn.Linear(4096, 16384, device="meta", dtype=torch.bfloat16)
    x = torch.empty(8, 1024, 4096, device="meta", dtype=torch.bfloat16, requires_grad=True)
    params = {id(p) for p in fc.parameters()}
    saved: list[int] = []

    def pack(t):
        if id(t if t._base is None else t._base) not in params:
            saved.append(t.nbytes)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        F.gelu(fc(x))
    return sum(saved) / 2**20


def _fp16_max() -> float:
    import torch

    return torch.finfo(torch.float16).max


def _storage_offset() -> float:
    import torch

    return torch.zeros(4, 6, 8)[1:, 2:, 3].storage_offset()


def _effective_batch() -> float:
    gpus, per_gpu_batch, accumulation = 8, 32, 4
    return gpus * per_gpu_batch * accumulation


def _ring_all_reduce_sent(n: int, chunk: int) -> tuple[int, int]:
    """Elements rank 0 sends in each phase of a ring all-reduce over `n` ranks of
    `n * chunk` elements each (reduce-scatter, then all-gather), simulated with
    tensors and checked against the true sum."""
    import torch

    data = [torch.randn(n, chunk, dtype=torch.float64) for _ in range(n)]
    bufs = [d.clone() for d in data]
    sent = [0, 0]
    for phase in (0, 1):
        for step in range(n - 1):
            msgs = [
                (r, (r - step + phase) % n, bufs[r][(r - step + phase) % n].clone())
                for r in range(n)
            ]
            for r, c, payload in msgs:
                if phase == 0:
                    bufs[(r + 1) % n][c] += payload
                else:
                    bufs[(r + 1) % n][c] = payload
                if r == 0:
                    sent[phase] += payload.numel()
    total = torch.stack(data).sum(0)
    assert all(torch.allclose(b, total) for b in bufs)
    return sent[0], sent[1]


def _ring_all_reduce_mb() -> float:
    gpus, megabytes = 8, 1000
    reduce_scatter, all_gather = _ring_all_reduce_sent(gpus, 125)
    return (reduce_scatter + all_gather) / (gpus * 125) * megabytes


def _fsdp_over_ddp_traffic() -> float:
    reduce_scatter, all_gather = _ring_all_reduce_sent(8, 16)
    ddp = reduce_scatter + all_gather  # one all-reduce of the gradients
    fsdp = all_gather + all_gather + reduce_scatter  # forward, backward, gradients
    return fsdp / ddp


def _gpipe_idle_fraction() -> float:
    """Idle share of a GPipe step (4 stages, 12 micro-batches, unit time per stage),
    from a slot-by-slot schedule: all forwards, then all backwards."""
    stages, micro = 4, 12
    fwd: dict[tuple[int, int], int] = {}
    for j in range(micro):
        for s in range(stages):
            fwd[s, j] = max(fwd.get((s - 1, j), 0), fwd.get((s, j - 1), 0)) + 1
    bwd: dict[tuple[int, int], int] = {}
    for j in range(micro):
        for s in reversed(range(stages)):
            ready = bwd.get((s + 1, j), fwd[stages - 1, micro - 1])
            bwd[s, j] = max(ready, bwd.get((s, j - 1), 0), fwd[s, micro - 1]) + 1
    step = max(bwd.values())
    return 1 - 2 * micro / step


def _prefetched_batches() -> float:
    """Batches a DataLoader requests before the first one is consumed."""
    import warnings

    from torch.utils.data import DataLoader

    drawn: list[int] = []

    def batches():
        for i in range(100):
            drawn.append(i)
            yield [i]

    loader = DataLoader(range(100), batch_sampler=batches(), num_workers=6, prefetch_factor=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # more workers than this machine's cores
        it = iter(loader)
    count = len(drawn)
    it._shutdown_workers()
    return count


def _unsharded_iterable_samples() -> float:
    from torch.utils.data import DataLoader, IterableDataset

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(10))

    return len(list(DataLoader(Stream(), batch_size=None, num_workers=4)))


#: How to compute the key of every numeric question; a new numeric question must add
#: an entry here, so no number in the bank is typed by hand.
def _kv_cache_gib(layers: int, kv_heads: int, head_dim: int, seq: int, batch: int) -> float:
    import torch

    # one layer's K (V is the same size), half precision, on the meta device: no memory
    k = torch.empty(batch, kv_heads, seq, head_dim, dtype=torch.float16, device="meta")
    return 2 * layers * k.numel() * k.element_size() / 2**30


def _qk_dot_std(d_k: int = 64) -> float:
    # a sum of d_k independent products of unit-variance terms: variance d_k
    return float(sum(1.0 * 1.0 for _ in range(d_k))) ** 0.5


def _beam_search_best() -> float:
    step1 = {"A": 0.6, "B": 0.4}
    step2 = {"A": {"C": 0.4, "D": 0.35, "E": 0.25}, "B": {"F": 0.9, "G": 0.1}}
    beams = sorted(step1.items(), key=lambda kv: -kv[1])[:2]
    expanded = [p * q for tok, p in beams for q in step2[tok].values()]
    return max(expanded)


def _affine_zero_point() -> float:
    """uint8 affine quantization of the range [-2, 6]: the zero point, checked by
    quantizing the ends and 0.0 with plain tensor arithmetic."""
    import torch

    lo, hi = -2.0, 6.0
    scale = (hi - lo) / 255
    zero_point = int(torch.round(torch.tensor(-lo / scale)))
    x = torch.tensor([lo, 0.0, hi])
    q = torch.clamp(torch.round(x / scale) + zero_point, 0, 255)
    assert q.tolist() == [0, zero_point, 255]
    return zero_point


def _symmetric_int_value() -> float:
    import torch

    scale = torch.tensor(2.54) / 127
    return torch.round(torch.tensor(-1.0) / scale).item()


def _int4_group_bits() -> float:
    """Bits per weight of int4 group-wise weights: 128 int4 values packed two per byte
    plus one float16 scale per group."""
    import torch

    group = 128
    packed = torch.zeros(group // 2, dtype=torch.uint8)
    scale = torch.zeros(1, dtype=torch.float16)
    return (packed.nbytes + scale.nbytes) * 8 / group


NUMERIC_KEYS: dict[str, Callable[[], float]] = {
    "transformers-qk-dot-std": _qk_dot_std,
    "transformers-kv-cache-mha-bytes": lambda: _kv_cache_gib(32, 32, 128, 4096, 1),
    "transformers-kv-cache-gqa-bytes": lambda: _kv_cache_gib(32, 8, 128, 8192, 4),
    "transformers-beam-vs-greedy": _beam_search_best,
    "quantization-affine-zero-point": _affine_zero_point,
    "quantization-symmetric-int-value": _symmetric_int_value,
    "quantization-int4-group-bits": _int4_group_bits,
    "nn-module-seed-simple-nn-params": _seed_simple_nn,
    "cnn-arithmetic-conv-output-size": _resnet_stem,
    "cnn-arithmetic-maxpool-output-size": _resnet_pool,
    "cnn-arithmetic-conv-params": _conv_params,
    "autograd-mean-gradient": _mean_square_grad,
    "training-loop-accum-token-normalisation": _accumulated_token_loss,
    "profiling-activation-memory-estimate": _gelu_linear_activation_mib,
    "cnn-arithmetic-receptive-field-stacked": lambda: _receptive_field([(3, 1)] * 3),
    "cnn-arithmetic-receptive-field-strided": lambda: _receptive_field([(3, 1), (3, 2), (3, 1)]),
    "cnn-arithmetic-depthwise-separable-params": _depthwise_separable,
    "devices-memory-adam-training-memory": _adam_gigabytes_per_billion,
    "initialisation-kaiming-std": _kaiming_std,
    "mixed-precision-fp16-max": _fp16_max,
    "distributed-effective-batch-size": _effective_batch,
    "distributed-ring-allreduce-traffic": _ring_all_reduce_mb,
    "distributed-fsdp-vs-ddp-traffic": _fsdp_over_ddp_traffic,
    "distributed-pipeline-bubble": _gpipe_idle_fraction,
    "data-loading-prefetch-factor-total": _prefetched_batches,
    "data-loading-iterable-unsharded-count": _unsharded_iterable_samples,
    "tensors-storage-offset": _storage_offset,
}


def test_every_numeric_question_has_a_computed_key(concepts: tuple[Question, ...]) -> None:
    numeric = {q.id for q in concepts if isinstance(q, Numeric)}
    assert numeric == set(NUMERIC_KEYS), (
        f"without a computation: {sorted(numeric - set(NUMERIC_KEYS))}; "
        f"computed but not in the bank: {sorted(set(NUMERIC_KEYS) - numeric)}"
    )


@pytest.mark.parametrize("qid", sorted(NUMERIC_KEYS))
def test_numeric_key_matches_pytorch(bank: Bank, qid: str) -> None:
    question = bank.get(qid)
    assert isinstance(question, Numeric)
    computed = NUMERIC_KEYS[qid]()
    assert abs(question.answer - computed) <= question.tolerance + 1e-9, (qid, computed)


# --- short answers accept the right words and nothing close ------------------------------

#: Plausible wrong answers each short-answer question must reject.
NEAR_MISSES = {
    "transformers-decoding-strategy-name": ["top-p", "nucleus sampling", "beam search", "greedy"],
    "torch-func-hessian-composition": [
        "jacrev(jacfwd(f))",
        "jacrev(jacrev(f))",
        "jacfwd(jacfwd(f))",
        "vmap(grad(f))",
    ],
    "dynamic-graphs-define-by-run-term": ["define-and-run", "define and run", "eager"],
    "autograd-requires-grad-inplace-method": ["requires_grad", "x.requires_grad", "detach_"],
    "losses-cross-entropy-decomposition": ["CrossEntropyLoss", "LogSoftmax", "NLL"],
    "nn-module-super-init-missing": ["self.__init__()", "Module()", "__init__"],
    "profiling-sync-debug-mode": ["synchronize", "torch.cuda.synchronize", "set_debug_mode"],
    "data-loading-map-style-methods": ["__iter__", "__getitem__", "__len__ and __iter__"],
    "debugging-detect-anomaly": ["torch.isnan", "gradcheck", "anomaly"],
    "distributed-world-size": ["rank", "local_rank", "world"],
    "tensors-result-type-uint8-int8": ["int8", "torch.uint8", "int32", "torch.int64"],
    "reproducibility-cublas-workspace-config": [
        "CUDA_LAUNCH_BLOCKING",
        "CUBLAS_WORKSPACE",
        "PYTHONHASHSEED",
        "CUBLASLT_WORKSPACE_SIZE",
    ],
}


def test_every_short_answer_has_near_misses(concepts: tuple[Question, ...]) -> None:
    short = {q.id for q in concepts if isinstance(q, ShortAnswer)}
    assert short == set(NEAR_MISSES), sorted(short ^ set(NEAR_MISSES))


@pytest.mark.parametrize("qid", sorted(NEAR_MISSES))
def test_short_answer_grading(bank: Bank, qid: str) -> None:
    question = bank.get(qid)
    assert isinstance(question, ShortAnswer)
    for accepted in question.accepted:
        assert grade(question, accepted).correct, accepted
        assert grade(question, f"  {accepted.upper()}. ").correct, accepted
    for wrong in NEAR_MISSES[qid]:
        assert not grade(question, wrong).correct, wrong
