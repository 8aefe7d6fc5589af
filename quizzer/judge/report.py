"""Render judge results as text, Markdown and JUnit XML: projections of one
`JudgeResult` document each, never separate logic. Names and messages are untrusted
(a file name can hold a terminal escape, a newline or a backtick): each format's
helper from `quizzer.escaping` escapes every one of them.

Called by `quizzer judge` (text on stdout, `--markdown`, `--junit`). No torch.
"""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from quizzer.escaping import md_cell, md_code, term, term_lines, xml
from quizzer.judge.result import JudgeResult, Status

LABEL = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "SKIP",
}
_MD_ICON = {Status.PASS: "✅", Status.FAIL: "❌", Status.ERROR: "⚠️", Status.SKIPPED: "⏭️"}


def _headline(result: JudgeResult) -> str:
    return (
        f"{term(result.submission)}  task {term(result.task.id)}  device "
        f"{term(result.device.used)}  seed {result.seed}  sandbox {term(result.sandbox.name)}"
    )


def summary_line(result: JudgeResult) -> str:
    passed = sum(c.status is Status.PASS for c in result.checks)
    word = LABEL[result.status]
    return f"{word}: {passed}/{len(result.checks)} checks passed ({result.timings.total_s:.2f} s)"


def text(result: JudgeResult) -> str:
    """The readable report: one line per check with its reason, detail lines indented."""
    lines = [_headline(result)]
    width = max((len(term(c.name)) for c in result.checks), default=4)
    for check in result.checks:
        first, *rest = term_lines(check.message) or [""]
        lines.append(f"  {LABEL[check.status]:<5} {term(check.name):<{width}}  {first}")
        pad = " " * (width + 10)
        lines += [pad + line for line in rest]
        if check.output and check.status is not Status.PASS:
            printed = term_lines(check.output.strip()) or [""]
            lines.append(pad + "printed: " + ("\n" + pad + "  ").join(printed))
    protections = ", ".join(map(term, result.sandbox.protections)) or "none"
    lines.append(f"  sandbox {term(result.sandbox.name)}: {protections}")
    if not result.passed and not result.infrastructure:
        lines.append(f"  reproduce: {reproduce(result)}")
    lines.append(summary_line(result))
    return "\n".join(lines)


def reproduce(result: JudgeResult) -> str:
    """The command that judges this file again with the same seed, so the same inputs,
    states and directions."""
    return (
        f"quizzer judge {shlex.quote(term(result.submission))} --task "
        f"{shlex.quote(result.task.id)} --seed {result.seed} --device {result.device.used}"
    )


def markdown(results: Sequence[JudgeResult]) -> str:
    """A summary for a CI job page: one section per file, one table row per check."""
    passed = sum(r.passed for r in results)
    out = [f"## quizzer judge: {passed}/{len(results)} passed", ""]
    for r in results:
        protections = ", ".join(map(md_cell, r.sandbox.protections)) or "no protections"
        out += [
            f"### {_MD_ICON[r.status]} {md_code(r.submission)} — {r.status.value}",
            "",
            f"Task {md_code(r.task.id)}, device {md_code(r.device.used)}, seed `{r.seed}`, "
            f"sandbox {md_code(r.sandbox.name)} ({protections}), {r.timings.total_s:.2f} s.",
            "",
            "| check | status | message |",
            "| --- | --- | --- |",
        ]
        for c in r.checks:
            out.append(
                f"| {md_code(c.name)} | {_MD_ICON[c.status]} {c.status.value} "
                f"| {md_cell(c.message)} |"
            )
        out.append("")
    return "\n".join(out)


def junit(results: Sequence[JudgeResult]) -> str:
    """JUnit XML: a testsuite per file, a testcase per check."""
    root = ET.Element("testsuites", name="quizzer judge")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for r in results:
        counts = {
            "tests": len(r.checks),
            "failures": sum(c.status is Status.FAIL for c in r.checks),
            "errors": sum(c.status is Status.ERROR for c in r.checks),
            "skipped": sum(c.status is Status.SKIPPED for c in r.checks),
        }
        for key, count in counts.items():
            totals[key] += count
        attrib = {"name": term(r.submission), "time": f"{r.timings.total_s:.3f}"}
        attrib.update({k: str(v) for k, v in counts.items()})
        suite = ET.SubElement(root, "testsuite", attrib)
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("task", r.task.id),
            ("device", r.device.used),
            ("seed", str(r.seed)),
            ("sandbox", r.sandbox.name),
            ("status", r.status.value),
        ):
            ET.SubElement(props, "property", name=name, value=term(value))
        for c in r.checks:
            case = ET.SubElement(
                suite,
                "testcase",
                name=term(c.name),
                classname=term(f"{r.task.id}.{r.submission}"),
                time=f"{c.duration_s or 0.0:.3f}",
            )
            first = term(c.message.splitlines()[0]) if c.message else ""
            if c.status is Status.FAIL:
                ET.SubElement(case, "failure", message=first).text = xml(c.message)
            elif c.status is Status.ERROR:
                ET.SubElement(case, "error", message=first).text = xml(c.message)
            elif c.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message=first)
            if c.output:
                ET.SubElement(case, "system-out").text = xml(c.output)
    for key, total in totals.items():
        root.set(key, str(total))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
