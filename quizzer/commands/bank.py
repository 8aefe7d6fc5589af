"""`quizzer bank ...`: validate, list, show, scaffold, verify and count bank questions.

Registered by `quizzer.cli`. Commands that read the bank take `--bank DIR`
(repeatable) and honour `QUIZZER_BANK`; `bank_option` and `selected_bank` are here for
other command groups to reuse. Problems are raised as `QuizzerError`s; `quizzer.cli`
turns them into exit codes. torch is never imported in this process: `bank verify`
runs snippets in a separate runner.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from quizzer.bank import locate
from quizzer.bank.checks import is_translated
from quizzer.bank.loader import Bank, check_paths, collect_ids, load_bank
from quizzer.bank.models import (
    LANGS,
    QUESTION_TYPES,
    CodeOutput,
    Coding,
    MultipleChoice,
    Numeric,
    Open,
    Question,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
    text_in,
)
from quizzer.bank.problems import Problem, display_path, suggest
from quizzer.errors import BankError, UsageError

app = typer.Typer(
    help="Validate, list, show, scaffold and verify bank questions.", no_args_is_help=True
)


class LangChoice(str, Enum):
    en = "en"
    zh = "zh"


BankDirs = Annotated[
    list[Path] | None,
    typer.Option(
        "--bank",
        metavar="DIR",
        help="Add a bank folder (repeatable). QUIZZER_BANK=DIR[:DIR...] replaces the bundled bank.",
    ),
]
Lang = Annotated[LangChoice, typer.Option("--lang", help="Language of the text shown.")]


def selected_bank(bank: Sequence[Path] | None) -> Bank:
    """The bundled bank (or QUIZZER_BANK's) plus the `--bank` folders."""
    return load_bank(list(bank) if bank else None)


def _echo_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        typer.echo(str(problem))


def _count(problems: Sequence[Problem]) -> str:
    files = len({p.path for p in problems})
    return f"{len(problems)} problem(s) in {files} file(s)"


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Bank files or folders to check. Default: the bank that --bank and "
            "QUIZZER_BANK select."
        ),
    ] = None,
    bank: BankDirs = None,
    require_translations: Annotated[
        bool | None,
        typer.Option(
            "--require-translations/--no-require-translations",
            help="Require en and zh for every text. Default: only in the bundled bank.",
        ),
    ] = None,
) -> None:
    """Check bank files and report every problem as file:line:column (exit 2 if any)."""
    roots = list(paths) if paths else list(locate.bank_dirs(bank))
    if paths and bank:
        roots += list(bank)
    entries, problems = check_paths(roots, require_translations=require_translations)
    _echo_problems(problems)
    if problems:
        raise BankError(f"{_count(problems)}; fix them and run `quizzer bank validate` again")
    files = len({e.file for e in entries})
    tasks = sum(isinstance(e.question, Coding) for e in entries)
    typer.echo(
        f"ok: {len(entries)} questions ({tasks} coding tasks) in {files} file(s), no problems"
    )


def _check_choice(kind: str, value: str | None, known: Sequence[str]) -> None:
    if value is not None and value not in known:
        hint = suggest(value, known)
        more = f"; did you mean '{hint}'?" if hint else ""
        shown = ", ".join(known) if known else "none"
        raise UsageError(f"no {kind} '{value}' in the bank (known: {shown}){more}")


def _first_line(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 3] + "..."


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        out.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(out)


@app.command("list")
def list_questions(
    topic: Annotated[str | None, typer.Option(help="Only this topic.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only questions with this tag.")] = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="Only this type, e.g. code_output.")
    ] = None,
    difficulty: Annotated[
        str | None, typer.Option(help="Only this difficulty: easy, medium or hard.")
    ] = None,
    lang: Lang = LangChoice.en,
    bank: BankDirs = None,
) -> None:
    """List questions as a table (id, type, topic, difficulty, tags, prompt)."""
    loaded = selected_bank(bank)
    _check_choice("topic", topic, loaded.topics())
    _check_choice("tag", tag, loaded.tags())
    _check_choice("type", type_, QUESTION_TYPES)
    _check_choice("difficulty", difficulty, ("easy", "medium", "hard"))
    found = loaded.filter(topic=topic, tag=tag, type=type_, difficulty=difficulty)
    if not found:
        typer.echo("no questions match")
        return
    rows = [["ID", "TYPE", "TOPIC", "DIFFICULTY", "TAGS", "PROMPT"]]
    for q in found:
        rows.append(
            [
                q.id,
                q.type,
                q.topic,
                q.difficulty,
                ",".join(q.tags) or "-",
                _first_line(text_in(q.prompt, lang.value), 60),
            ]
        )
    typer.echo(_table(rows))
    typer.echo(f"{len(found)} question(s)")


def _block(text: str, indent: str = "  ") -> str:
    return textwrap.indent(text.rstrip("\n"), indent)


def _show_answer(q: Question, lang: str, loaded: Bank) -> list[str]:
    out: list[str] = []
    if isinstance(q, SingleChoice):
        out.append(f"Answer: {q.answer}")
    elif isinstance(q, MultipleChoice):
        out.append("Answer: " + ", ".join(q.answer))
    elif isinstance(q, TrueFalse):
        out.append(f"Answer: {'true' if q.answer else 'false'}")
    elif isinstance(q, Numeric):
        tol = f" ± {q.tolerance:g}" if q.tolerance else ""
        out.append(f"Answer: {q.answer:g}{tol}{' ' + q.unit if q.unit else ''}")
    elif isinstance(q, ShortAnswer):
        out.append("Accepted: " + " | ".join(q.accepted))
        if q.regex:
            out.append(f"Regex: {q.regex}")
    elif isinstance(q, CodeOutput):
        out += ["Answer (what it prints):", _block(q.answer)]
    elif isinstance(q, Open):
        out += ["Model answer:", _block(text_in(q.model_answer, lang)), "Rubric:"]
        out += [f"  - {text_in(point, lang)}" for point in q.rubric]
    elif isinstance(q, Coding):
        out.append(f"Reference: {display_path(loaded.resolve(q.id, q.reference))}")
        for variant in q.variants:
            out.append(
                f"Known bad: {variant.path} fails at {variant.fails_at}: "
                f"{text_in(variant.why, lang)}"
            )
    for number, hint in enumerate(q.hints, start=1):
        out.append(f"Hint {number}: {text_in(hint, lang)}")
    out += ["", "Explanation:", _block(text_in(q.explanation, lang))]
    for ref in q.references:
        out.append(f"See: {ref.title} <{ref.url}>")
    return out


@app.command()
def show(
    question_id: Annotated[str, typer.Argument(metavar="ID", help="The question id.")],
    lang: Lang = LangChoice.en,
    answer: Annotated[
        bool, typer.Option("--answer", help="Also show the answer, hints and explanation.")
    ] = False,
    bank: BankDirs = None,
) -> None:
    """Show one question (and with --answer, its answer and explanation)."""
    loaded = selected_bank(bank)
    q = loaded.get(question_id)
    where = loaded.location(question_id)
    tags = f"  tags: {', '.join(q.tags)}" if q.tags else ""
    out = [
        f"{q.id}  [{q.type}, {q.topic}, {q.difficulty}]{tags}",
        f"{display_path(where.path)}:{where.line}",
        "",
        text_in(q.prompt, lang.value).rstrip(),
    ]
    if isinstance(q, (SingleChoice, MultipleChoice, CodeOutput)) and q.options:
        out.append("")
        out += [f"  {o.id}) {text_in(o.text, lang.value)}" for o in q.options]
    if isinstance(q, CodeOutput):
        out += ["", "Code:", _block(q.code, "    ")]
    if isinstance(q, Numeric) and q.unit:
        out.append(f"(answer in {q.unit})")
    if isinstance(q, Coding):
        spec = q.spec
        out += [
            "",
            f"Class: {q.class_name}    starter: {display_path(loaded.resolve(q.id, q.starter))}",
            f"Input: {list(spec.input_shape)} ({spec.input_dtype}) -> "
            f"output: {list(spec.output_shape)}",
            f"Checks: {', '.join(spec.checks)}",
        ]
    if answer:
        out += ["", *_show_answer(q, lang.value, loaded)]
    typer.echo("\n".join(out))


@app.command()
def new(
    type_: Annotated[
        str, typer.Option("--type", help="Question type: " + ", ".join(QUESTION_TYPES) + ".")
    ],
    question_id: Annotated[
        str, typer.Option("--id", help="New unique id: lowercase letters, digits and '-'.")
    ],
    topic: Annotated[str, typer.Option(help="Topic, e.g. autograd.")],
    file: Annotated[
        Path | None,
        typer.Option(
            help="File to append to. Default: <bank>/<topic>.yaml, or "
            "<bank>/tasks/<id>/task.yaml for coding, where <bank> is the first --bank "
            "folder, else the first QUIZZER_BANK folder, else ./questions."
        ),
    ] = None,
    bank: BankDirs = None,
) -> None:
    """Append a scaffolded question (valid YAML with TODO text to fill in) to a file."""
    from quizzer.bank.scaffold import add_question, default_file

    env_dirs = locate.env_bank_dirs()
    base = (bank or list(env_dirs or ()) or [Path("questions")])[0]
    target = file or default_file(base, type_, question_id, topic)
    try:
        known = locate.bank_dirs(bank)
    except BankError:
        known = ()
    taken = collect_ids([*known, target])
    written = add_question(target, type_, question_id, topic, taken)
    typer.echo(f"added '{question_id}' ({type_}) to {display_path(written[0])}")
    for path in written[1:]:
        typer.echo(f"created {display_path(path)}")
    typer.echo(
        f"next: replace the TODO text, then run `quizzer bank validate {display_path(target)}`"
    )


def _verify_tasks(loaded: Bank, progress: Callable[[str], None], seeds: int = 1) -> list[Problem]:
    if not loaded.tasks():
        return []
    try:
        from quizzer.judge.verify import verify_seeds, verify_tasks
    except ModuleNotFoundError as exc:
        if exc.name not in ("quizzer.judge.verify", "quizzer.judge"):
            raise
        progress(
            f"note: {len(loaded.tasks())} coding task(s) not verified: the task judge "
            "(quizzer.judge.verify) is not installed yet"
        )
        return []
    return list(verify_tasks(loaded, progress=progress, seeds=verify_seeds(seeds)))


@app.command()
def verify(
    only: Annotated[
        list[str] | None,
        typer.Option("--id", metavar="ID", help="Only these questions (repeatable)."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds each snippet may run.", min=0.1)] = 10.0,
    tasks: Annotated[
        bool, typer.Option("--tasks/--no-tasks", help="Also judge each coding task's files.")
    ] = True,
    seeds: Annotated[
        int,
        typer.Option(
            min=1,
            max=1000,
            help="Judge each task file on this many seeds (the same ones every time); a "
            "verdict that changes with the seed is a problem.",
        ),
    ] = 20,
    bank: BankDirs = None,
) -> None:
    """Run every code_output snippet and every task's reference and known-bad files,
    and prove that the bank's answers are right (exit 2 on any mismatch)."""
    from quizzer.bank.snippets import verify_snippets

    loaded = selected_bank(bank)
    for question_id in only or ():
        loaded.get(question_id)
    chosen = set(only or loaded.ids())

    def progress(message: str) -> None:
        typer.echo(message, err=True)

    problems = verify_snippets(loaded, only=sorted(chosen), timeout=timeout, progress=progress)
    if tasks:
        subset = Bank(
            tuple(q for q in loaded.questions if q.id in chosen), loaded.locations, loaded.dirs
        )
        problems += _verify_tasks(subset, progress, seeds)
    _echo_problems(problems)
    if problems:
        raise BankError(f"{_count(problems)}; the bank's answers must match what the code does")
    snippets = sum(isinstance(q, CodeOutput) and q.id in chosen for q in loaded.questions)
    typer.echo(f"ok: {snippets} code_output answer(s) match what their snippets print")


@app.command()
def stats(bank: BankDirs = None) -> None:
    """Count questions per topic, type, difficulty and language; with the bundled bank,
    also show each topic's floor and the totals it aims for, and what is short."""
    loaded = selected_bank(bank)
    files = {loc.path for loc in loaded.locations.values()}
    typer.echo(f"{len(loaded)} questions in {len(files)} file(s)")
    goals = any(locate.is_bundled(d) for d in loaded.dirs)
    topics = Counter(q.topic for q in loaded.questions)
    sections: list[tuple[str, Counter[str]]] = [
        ("type", Counter(q.type for q in loaded.questions)),
        ("difficulty", Counter(q.difficulty for q in loaded.questions)),
        (
            "language",
            Counter(lang for q in loaded.questions for lang in LANGS if is_translated(q, lang)),
        ),
    ]
    typer.echo("")
    typer.echo(_topic_table(topics, with_floors=goals))
    for title, counts in sections:
        typer.echo("")
        rows = [[title.upper(), "COUNT"]]
        rows += [[name, str(n)] for name, n in sorted(counts.items())]
        typer.echo(_table(rows))
    if goals:
        _echo_targets(loaded)


def _topic_table(topics: Counter[str], *, with_floors: bool) -> str:
    if not with_floors:
        return _table([["TOPIC", "COUNT"], *([t, str(n)] for t, n in sorted(topics.items()))])
    from quizzer.bank.targets import TOPIC_FLOORS

    rows = [["TOPIC", "COUNT", "FLOOR", ""]]
    for topic in sorted(set(topics) | set(TOPIC_FLOORS)):
        floor = TOPIC_FLOORS.get(topic)
        short = floor is not None and topics[topic] < floor
        rows.append(
            [
                topic,
                str(topics[topic]),
                "" if floor is None else str(floor),
                "under" if short else "",
            ]
        )
    return _table(rows)


def _echo_targets(loaded: Bank) -> None:
    """The bundled bank's totals against their goals, then one line naming what is
    short (or saying that nothing is)."""
    from quizzer.bank.targets import topic_targets, total_targets

    totals = total_targets(loaded.questions)
    rows = [["TARGET", "COUNT", "GOAL", ""]]
    rows += [[t.name, str(t.count), str(t.goal), "" if t.met else "under"] for t in totals]
    typer.echo("")
    typer.echo(_table(rows))
    floors = [
        f"{t.name} ({t.count} of {t.goal})" for t in topic_targets(loaded.questions) if not t.met
    ]
    below = [f"{t.name} ({t.count} of {t.goal})" for t in totals if not t.met]
    typer.echo("")
    if not floors and not below:
        typer.echo("every topic is at its floor and every total at its goal")
        return
    if floors:
        typer.echo(f"{len(floors)} topic(s) under their floor: {', '.join(floors)}")
    if below:
        typer.echo(f"totals under their goal: {', '.join(below)}")
