"""Write a candidate's paper to a folder: `paper.md` (the questions, without answers),
`answers.yaml` (the template to fill in) and `solutions/<task>.py` (each task's
starter file).

Bank text reaches the paper through `text_in`, so Chinese lines wrapped in the YAML
are joined as in the practice UI. Prompts are Markdown (as in the UI); option texts are
plain text there, so an option that Markdown would change is written escaped.

Called by `quizzer screen paper` and `quizzer exam`. Only what the candidate may see
goes in: prompts, options, code to read, task statements and starters; never answers,
explanations, hints, references, rubrics, reference solutions, known-bad variants,
seeds, bank ids of concept questions, or the judge's inputs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from quizzer.bank.markup import markdown_losses
from quizzer.bank.models import (
    CodeOutput,
    Coding,
    MultipleChoice,
    Numeric,
    Option,
    Question,
    SingleChoice,
    text_in,
)
from quizzer.errors import UsageError
from quizzer.escaping import md_cell
from quizzer.screen import scoring
from quizzer.screen.answers import FILE_NAME, HOW, KIND, answers_text
from quizzer.screen.load import LoadedScreen
from quizzer.screen.models import LimitsOverride
from quizzer.screen.paper import SOLUTIONS, Paper, PaperItem, question_of, task_of, time_limit_s

PAPER = "paper.md"


def _points(n: float) -> str:
    return f"{n:g} point" + ("" if n == 1 else "s")


def _shape(dims: tuple[int | str, ...]) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ")"


def option_md(option: Option, lang: str) -> str:
    """An option as a line of paper.md that shows its text as written: as is when
    Markdown leaves it alone (the common case, easy to read in an editor), else
    escaped (`__init__` would turn bold)."""
    text = text_in(option.text, lang)
    shown = text if not markdown_losses(text) else md_cell(text)
    return f"- **{option.id}**: {shown}"


def _question_md(item: PaperItem, question: Question, lang: str) -> list[str]:
    kind = KIND[question.type]
    out = [
        f"### {item.label} · {kind} · {_points(item.points)}",
        "",
        text_in(question.prompt, lang).strip(),
        "",
    ]
    if isinstance(question, CodeOutput):
        out += ["```python", question.code.rstrip(), "```", ""]
    if isinstance(question, (SingleChoice, MultipleChoice, CodeOutput)) and question.options:
        out += [option_md(o, lang) for o in question.options] + [""]
    if isinstance(question, Numeric) and question.unit:
        out += [f"Unit: {question.unit}.", ""]
    out += [f"*Answer in `{FILE_NAME}` under `{item.label}`: {HOW[question.type]}.*", ""]
    return out


def _task_md(item: PaperItem, task: Coding, lang: str, limits: LimitsOverride) -> list[str]:
    """A task's section of paper.md, with the limits the judge will apply: the task's,
    with the screen's `judge.limits` on top."""
    spec = task.spec
    wall_s = limits.wall_s if limits.wall_s is not None else spec.limits.wall_s
    memory_mb = limits.memory_mb if limits.memory_mb is not None else spec.limits.memory_mb
    weights = scoring.task_weights(item, task)
    total = sum(weights.values()) or 1.0
    assert item.task is not None
    mode = item.task.scoring
    out = [
        f"### Task `{task.id}` · {_points(item.points)}",
        "",
        text_in(task.prompt, lang).strip(),
        "",
        f"- Write the class `{task.class_name}` in `{SOLUTIONS}/{task.id}.py` (the starter is "
        "there already).",
        f"- Input: a {spec.input_dtype} batch of shape {_shape(spec.input_shape)}; output: "
        f"{_shape(spec.output_shape)}. B is the batch size.",
        f"- Limits: {wall_s:g} s wall time, {memory_mb} MB memory; no network.",
        "- Points per check: "
        + ", ".join(f"{name} {item.points * w / total:g}" for name, w in weights.items() if w)
        + (" (all or nothing)" if mode == "all_or_nothing" else ""),
        "",
    ]
    return out


def paper_markdown(loaded: LoadedScreen, paper: Paper) -> str:
    lang = loaded.screen.lang
    limit = time_limit_s(paper)
    head = [
        f"# {paper.title}",
        "",
        f"Candidate: `{paper.candidate}`. "
        + (f"Time: {limit // 60} minutes" if limit else "")
        + (f" (with {paper.extra_time} extra)" if limit and paper.extra_time else "")
        + (". " if limit else "")
        + (f"Hand in by {paper.deadline}. " if paper.deadline else "")
        + f"Total: {_points(paper.max_points)}; pass mark {paper.threshold.describe()}.",
        "",
        f"Answer the questions in `{FILE_NAME}` and the coding tasks in `{SOLUTIONS}/`, then "
        "hand in this folder. An empty answer scores 0; open questions are scored by a "
        "reviewer.",
        "",
    ]
    body: list[str] = []
    for number, section in enumerate(paper.sections, start=1):
        facts = [_points(section.max_points)]
        if section.time_limit_minutes:
            facts.append(f"{section.time_limit_minutes} minutes")
        if section.threshold:
            facts.append(f"pass mark {section.threshold.describe()}")
        body += [f"## {number}. {section.title} ({', '.join(facts)})", ""]
        for item in section.items:
            if item.kind == "question":
                body += _question_md(item, question_of(loaded, item), lang)
            else:
                body += _task_md(item, task_of(loaded, item), lang, loaded.screen.judge.limits)
    return "\n".join(head + body).rstrip() + "\n"


def write_paper(
    loaded: LoadedScreen, paper: Paper, out: Path, *, force: bool = False
) -> list[Path]:
    """Write the paper into `out`. Refuses to replace an answers or solution file
    that is already there (it may hold answers) unless `force`."""
    targets = [out / FILE_NAME] + [out / SOLUTIONS / f"{t.label}.py" for t in paper.tasks()]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing)
        raise UsageError(
            f"{shown} already exist(s) and may hold answers; choose another --out or pass --force"
        )
    questions = {item.label: question_of(loaded, item) for item in paper.questions()}
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / PAPER).write_text(paper_markdown(loaded, paper), encoding="utf-8")
        written.append(out / PAPER)
        (out / FILE_NAME).write_text(answers_text(paper, questions, {}), encoding="utf-8")
        written.append(out / FILE_NAME)
        for item in paper.tasks():
            task = task_of(loaded, item)
            target = out / SOLUTIONS / f"{task.id}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(loaded.bank.resolve(task.id, task.starter), target)
            written.append(target)
    except OSError as exc:
        raise UsageError(f"cannot write the paper to {out}: {exc.strerror or exc}") from None
    return written
