"""Render screen results as JUnit XML, a Markdown summary and a leaderboard CSV, and
write a candidate's report folder. Each is a projection of the one results document
(`quizzer.screen.results`), never separate logic.

Called by `quizzer screen grade` and `quizzer screen review`. The reviewer's folder
gets the full document; its `candidate/` subfolder (or the whole folder, with
`--candidate-view`) gets `candidate_view`, which holds no answer keys.
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quizzer.errors import UsageError
from quizzer.escaping import md_cell, md_code, term, xml
from quizzer.screen.answers import KIND
from quizzer.screen.results import ItemResult, ScreenResults, candidate_view

RESULTS = "results.json"
JUNIT = "junit.xml"
SUMMARY = "summary.md"
CANDIDATE_DIR = "candidate"
LEADERBOARD = "leaderboard.csv"
#: The reviewer's HTML page (per candidate) and the cohort page (per batch).
HTML = "report.html"

_ICON = {
    "pass": "✅",
    "right": "✅",
    "reviewed": "📝",
    "partial": "🟡",
    "pending": "⏳",
    "fail": "❌",
    "wrong": "❌",
    "missing": "❌",
    "invalid": "⚠️",
    "error": "⚠️",
    "skipped": "⏭️",
}
_FULL = ("right", "pass")
#: The JUnit element for a check's status (None: the testcase passed).
_CHECK_KIND: dict[str, str | None] = {
    "pass": None,
    "fail": "failure",
    "error": "error",
    "skipped": "skipped",
}


def _pts(item: ItemResult) -> str:
    got = "pending" if item.points is None else f"{item.points:g}"
    return f"{got} / {item.max_points:g}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return md_cell(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


# --- JUnit ------------------------------------------------------------------------


def junit(results: ScreenResults) -> str:
    """A testsuite for the pass marks and one per section; a testcase per question and
    per check of each task. Not full marks is a failure; pending is skipped."""
    who = results.candidate
    root = ET.Element("testsuites", name=term(f"quizzer screen: {results.screen.title}"))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    def suite(name: str, props: dict[str, Any]) -> ET.Element:
        element = ET.SubElement(root, "testsuite", name=term(name))
        properties = ET.SubElement(element, "properties")
        for key, value in props.items():
            ET.SubElement(properties, "property", name=key, value=term(value))
        return element

    def case(
        parent: ET.Element,
        classname: str,
        name: str,
        kind: str | None,
        message: str,
        detail: str = "",
        out: str = "",
    ) -> None:
        element = ET.SubElement(
            parent, "testcase", classname=term(classname), name=term(name), time="0"
        )
        if kind is not None:
            ET.SubElement(element, kind, message=term(message)).text = xml(detail) or None
        if out:
            ET.SubElement(element, "system-out").text = xml(out)

    marks = suite(f"{who}: pass marks", {"status": results.status, "message": results.message})
    units = [("overall", results.status, results.threshold, results.points, results.max_points)]
    units += [
        (f"section {s.id}", s.status, s.threshold, s.points, s.max_points)
        for s in results.sections
        if s.threshold is not None
    ]
    for name, status, threshold, points, max_points in units:
        assert threshold is not None
        need = f"{threshold.rule} ({threshold.required_points:g})"
        text = f"{points:g} of {max_points:g} points, needs {need}"
        kind = {"pass": None, "fail": "failure", "pending": "skipped"}[status]
        case(marks, f"{who}.screen", f"{name}: {threshold.rule}", kind, text, out=text)
    for section in results.sections:
        element = suite(
            f"{who}.{section.id}",
            {
                "title": section.title,
                "points": f"{section.points:g}",
                "max_points": f"{section.max_points:g}",
                "status": section.status,
            },
        )
        classname = f"{who}.{section.id}"
        for item in section.items:
            if item.kind == "task" and item.checks:
                for check in item.checks:
                    first = check.message.splitlines()[0] if check.message else check.status
                    score = f"{check.points:g} / {check.max_points:g} points"
                    case(
                        element,
                        classname,
                        f"{item.label}: {check.name}",
                        _CHECK_KIND.get(check.status, "error"),
                        f"{first} ({score})",
                        check.message,
                        out=score,
                    )
                continue
            full = item.status == "reviewed" and item.points == item.max_points
            if item.status in _FULL or full:
                kind_of = None
            elif item.status == "pending":
                kind_of = "skipped"
            elif item.status == "error":
                kind_of = "error"
            else:
                kind_of = "failure"
            message = f"{item.status}: {_pts(item)} points; {item.note}"
            detail = message
            if item.expected is not None:
                detail += f"\nexpected: {item.expected}"
            if item.feedback:
                detail += f"\n{item.feedback}"
            case(
                element,
                classname,
                f"{item.label} ({item.type})",
                kind_of,
                message,
                detail,
                out=f"{_pts(item)} points",
            )
    for element in root.findall("testsuite"):
        cases = element.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(c.find("failure") is not None for c in cases),
            "errors": sum(c.find("error") is not None for c in cases),
            "skipped": sum(c.find("skipped") is not None for c in cases),
        }
        for key, value in counts.items():
            element.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- Markdown ---------------------------------------------------------------------


def markdown(results: ScreenResults) -> str:
    reviewer = results.view == "reviewer"
    word = {"pass": "passed", "fail": "did not pass", "pending": "awaiting review"}[results.status]
    out = [
        f"## {_ICON[results.status]} {_cell(results.screen.title)}: "
        f"{md_code(results.candidate)} {word}",
        "",
        f"**{results.points:g} of {results.max_points:g} points ({results.percent:g}%)**, "
        f"pass mark {results.threshold.rule} ({results.threshold.required_points:g} points).",
        "",
        f"> {_cell(results.message)}",
        "",
        "| Section | Points | % | Pass mark | Status |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in results.sections:
        mark = _cell(s.threshold.rule) if s.threshold else "none"
        pending = f" (+{s.pending_points:g} pending)" if s.pending_points else ""
        out.append(
            f"| {_cell(s.title)} | {s.points:g} / {s.max_points:g}{pending} | {s.percent:g}% "
            f"| {mark} | {_ICON[s.status]} {s.status} |"
        )
    for s in results.sections:
        out += ["", f"### {_cell(s.title)}", ""]
        head = "| # | Type | Points | Status | Note |"
        out += [head + (" Expected |" if reviewer else ""), "| --- " * (6 if reviewer else 5) + "|"]
        for item in s.items:
            row = (
                f"| {_cell(item.label)} | {_cell(KIND.get(item.type, item.type))} | {_pts(item)} "
                f"| {_ICON.get(item.status, '')} {item.status} | {_cell(item.note)} |"
            )
            out.append(row + (f" {_cell(item.expected)} |" if reviewer else ""))
        for task in s.items:
            if task.checks:
                out += ["", f"{md_code(task.label)} checks:", ""]
                out.append("| Check | Status | Points | Message |")
                out.append("| --- | --- | --- | --- |")
                for c in task.checks:
                    first = c.message.splitlines()[0] if c.message else ""
                    out.append(
                        f"| {_cell(c.name)} | {_ICON.get(c.status, '')} {_cell(c.status)} "
                        f"| {c.points:g} / {c.max_points:g} | {_cell(first)} |"
                    )
    similar = [(i.label, m) for i in results.items() for m in i.similar]
    if similar and reviewer:
        out += ["", "### Similar solution files", ""]
        out += ["A reason to look, not a verdict: short tasks have few ways to be right.", ""]
        out += [f"- {md_cell(match)}" for _, match in similar]
    awaiting = results.pending()
    if awaiting and reviewer:
        out += ["", "### Awaiting review", ""]
        for item in awaiting:
            out += [f"#### {_cell(item.label)} ({item.max_points:g} points)", "", "Answer:", ""]
            answer = str(item.response or "").splitlines()
            out += ["> " + _cell(line) for line in answer] or ["> (empty)"]
            out += ["", "Rubric:", ""]
            out += [f"{n}. {_cell(r)}" for n, r in enumerate(item.rubric or [], start=0)]
            if item.model_answer:
                out += ["", f"Model answer: {_cell(item.model_answer)}"]
            out += [
                "",
                "Score it: "
                + md_code(f"quizzer screen review REPORT_DIR --item {item.label} --points N")
                + " (or `--rubric 0,2` for the rubric points covered).",
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


# --- leaderboard ------------------------------------------------------------------


def leaderboard(rows: Sequence[tuple[str, ScreenResults | None, str | None]]) -> str:
    """CSV, best first: rank, candidate, status, points, max, percent, pending, each
    section's points, message. Folders that could not be graded come last. The CSV is
    printed too, so names and messages are escaped as terminal text."""
    section_ids: list[str] = []
    for _, results, _ in rows:
        for s in results.sections if results else ():
            if s.id not in section_ids:
                section_ids.append(s.id)
    graded = sorted(
        ((c, r) for c, r, _ in rows if r is not None), key=lambda cr: (-cr[1].points, cr[0])
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["rank", "candidate", "status", "points", "max_points", "percent", "pending_points"]
        + [f"{sid}_points" for sid in section_ids]
        + ["message", "similar"]
    )
    rank, last = 0, None
    for position, (candidate, r) in enumerate(graded, start=1):
        if r.points != last:
            rank, last = position, r.points
        by_id = {s.id: s for s in r.sections}
        writer.writerow(
            [
                rank,
                term(candidate),
                r.status,
                f"{r.points:g}",
                f"{r.max_points:g}",
                f"{r.percent:g}",
                f"{r.pending_points:g}",
            ]
            + [f"{by_id[sid].points:g}" if sid in by_id else "" for sid in section_ids]
            + [term(r.message), term("; ".join(m for i in r.items() for m in i.similar))]
        )
    for candidate, missing, error in rows:
        if missing is None:
            writer.writerow(
                ["", term(candidate), "error", "", "", "", ""]
                + [""] * len(section_ids)
                + [term(error or ""), ""]
            )
    return buffer.getvalue()


def batch_rows(root: Path, board: Path) -> list[tuple[str, ScreenResults | None, str | None]]:
    """The rows of a batch's leaderboard read back from disk: every candidate folder's
    results.json under `root`, and the error rows of the leaderboard at `board` for
    the folders that could not be graded."""
    from quizzer.screen.results import read_results

    rows: list[tuple[str, ScreenResults | None, str | None]] = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and not entry.is_symlink() and (entry / RESULTS).is_file():
            results = read_results(entry / RESULTS)
            rows.append((results.candidate, results, None))
    graded = {candidate for candidate, _, _ in rows}
    with open(board, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("status") == "error" and row.get("candidate") not in graded:
                rows.append((row["candidate"], None, row.get("message", "")))
    return rows


# --- files ------------------------------------------------------------------------


def write_text(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def write_view(results: ScreenResults, folder: Path) -> list[Path]:
    return [
        write_text(folder / RESULTS, results.to_json()),
        write_text(folder / JUNIT, junit(results)),
        write_text(folder / SUMMARY, markdown(results)),
    ]


def write_reports(results: ScreenResults, out: Path, *, candidate_only: bool = False) -> list[Path]:
    """The reviewer's report in `out` and the candidate's in `out/candidate/`; with
    `candidate_only`, just the candidate's, in `out`."""
    from quizzer.screen.html import candidate_page

    view = candidate_view(results)
    if candidate_only:
        return write_view(view, out)
    page = write_text(out / HTML, candidate_page(results))
    return [*write_view(results, out), page, *write_view(view, out / CANDIDATE_DIR)]


def append_step_summary(text: str, env: dict[str, str] | None = None) -> Path | None:
    """Append `text` to the file `$GITHUB_STEP_SUMMARY` names, when it is set."""
    target = (os.environ if env is None else env).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as exc:
        raise UsageError(
            f"cannot append to $GITHUB_STEP_SUMMARY ({target}): {exc.strerror}"
        ) from None
    return Path(target)
