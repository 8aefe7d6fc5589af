"""Names and messages cannot forge a line of a report. A file or candidate name with a
terminal escape, a carriage return or a newline, a bidi override, backticks or a lone
surrogate is shown escaped in the text report, kept inside its code span in Markdown
(no new heading, no HTML, no link), and turned into a valid attribute in JUnit XML;
the same holds for messages that came from a sandbox."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from html import escape as html_escape

import pytest
from markdown_it import MarkdownIt

from quizzer.judge import report
from quizzer.judge.result import (
    CheckResult,
    DeviceInfo,
    JudgeResult,
    SandboxInfo,
    Status,
    TaskInfo,
    Timings,
    Versions,
)
from tests.fake_worker import FakeSandbox, no_class
from tests.judge_support import GOOD_NN

#: Clears the line, returns to its start and prints a verdict that was never given.
SPOOF = "evil\x1b[2K\r  PASS: 6/6 checks passed\n## PASS `x` <img src=x> [go](http://e)\u202e.py"
MESSAGE = "boom \x1b[31mred\x07\r\nsecond line <script>alert(1)</script> | `tick` \ud800"


def result(name: str = SPOOF) -> JudgeResult:
    checks = [
        CheckResult(name="load", status=Status.PASS, message="built"),
        CheckResult(name="shapes", status=Status.FAIL, message=MESSAGE, output="printed\x1b]0;t"),
        CheckResult(name="grad\x00ients", status=Status.SKIPPED, message="not run"),
    ]
    return JudgeResult(
        status=Status.FAIL,
        message="shapes: boom",
        submission=name,
        sha256="0" * 64,
        task=TaskInfo(id="simple-nn", class_name="SimpleNN"),
        device=DeviceInfo(requested="cpu", used="cpu"),
        sandbox=SandboxInfo(name="none", protections=["rlimit\x1b[8m"]),
        seed=1,
        versions=Versions(quizzer="0", python="3", torch="2"),
        timings=Timings(total_s=0.5),
        checks=checks,
    )


def escaped(text: str) -> str:
    """What a name looks like once escaped: non-printables as Python escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def no_controls(text: str) -> None:
    bad = [c for c in text if not (c.isprintable() or c == "\n")]
    assert not bad, f"unescaped characters: {bad!r}"
    text.encode("utf-8")


# --- the helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain.py", "plain.py"),
        ("a\nb", "a\\nb"),
        ("\x1b[2K\r", "\\x1b[2K\\r"),
        ("rtl\u202efdp.py", "rtl\\u202efdp.py"),
        ("half\ud800", "half\\ud800"),
        ("\x9b31m", "\\x9b31m"),
        ("ünïcödé ✓", "ünïcödé ✓"),
    ],
)
def test_term_shows_control_characters_as_escapes(raw, shown):
    from quizzer.escaping import term

    assert term(raw) == shown


@pytest.mark.parametrize("name", ["a`b", "``x``", "`", " lead", "a|b", "x\n# h", "", "  "])
def test_md_code_keeps_any_name_in_one_code_span(name):
    from quizzer.escaping import md_code, term

    tokens = MarkdownIt("commonmark").parseInline(md_code(name))[0].children
    assert [t.type for t in tokens] == ["code_inline"]
    assert tokens[0].content == (term(name) or " ")


def test_md_code_in_a_table_keeps_pipes_in_their_cell():
    from quizzer.escaping import md_code

    table = f"| a | b |\n| --- | --- |\n| {md_code('x|y', in_table=True)} | 2 |\n"
    html = MarkdownIt("commonmark").enable("table").render(table)
    assert "<td><code>x|y</code></td>" in html and "<td>2</td>" in html


def test_md_cell_renders_text_as_text():
    from quizzer.escaping import md_cell

    html = MarkdownIt("commonmark").render(md_cell("<b>x</b> [a](http://e) *y* `z`\n# h"))
    assert "<b>" not in html and "<a " not in html and "<em>" not in html
    assert "<code>" not in html and "<h1>" not in html
    assert "&lt;b&gt;x&lt;/b&gt; [a](http://e) *y* `z`<br>" in html


def test_xml_text_is_always_well_formed():
    from quizzer.escaping import xml

    element = ET.Element("x", name=xml("a\x00b\x1b\ud800\n"))
    element.text = xml("c\x0bd\uffff\n")
    back = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert back.get("name") == "a\\x00b\\x1b\\ud800\n" and back.text == "c\\x0bd\\uffff\n"


# --- the judge's reports -----------------------------------------------------------------


def test_the_text_report_cannot_be_spoofed_by_a_name():
    text = report.text(result())
    no_controls(text)
    lines = text.splitlines()
    assert lines[0].startswith("evil\\x1b[2K\\r  PASS: 6/6 checks passed\\n## PASS")
    assert lines[-1].startswith("FAIL: 1/3 checks passed")
    # the name's, escaped (in the headline and the reproduce command), and the real one
    assert sum("checks passed" in line for line in lines) == 3
    (repro,) = [line for line in lines if line.startswith("  reproduce: quizzer judge ")]
    assert "'evil\\x1b[2K\\r  PASS: 6/6 checks passed\\n## PASS" in repro  # quoted, one line
    assert "\\x1b[31mred\\x07" in text and "grad\\x00ients" in text


def test_the_markdown_summary_keeps_the_name_in_its_code_span():
    md = report.markdown([result(), result("second.py")])
    no_controls(md)
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    headings = [t.tag for t in tokens if t.type == "heading_open"]
    assert headings == ["h2", "h3", "h3"]
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img" not in html and "<script" not in html and "<a " not in html
    assert f"<code>{html_escape(escaped(SPOOF), quote=False)}</code>" in html
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 2 * 4  # a header row and three checks per file: no row split


def test_junit_is_well_formed_with_escaped_names():
    text = report.junit([result()])
    no_controls(text)
    root = ET.fromstring(text)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == escaped(SPOOF)
    names = [case.get("name") for case in root.iter("testcase")]
    assert names == ["load", "shapes", "grad\\x00ients"]
    failure = root.find(".//failure")
    assert failure is not None and failure.text is not None
    assert "second line" in failure.text and "\\x1b[31m" in failure.text


def test_the_cli_escapes_names_in_progress_and_report(run_cli, monkeypatch, tmp_path):
    fake = FakeSandbox(lambda req: no_class(req["nonce"], ["Other"]))
    monkeypatch.setattr("quizzer.judge.sandbox.open_sandbox", lambda *a, **k: fake)
    hostile = tmp_path / "a\x1b[2Kb\nPASS.py"
    hostile.write_text(GOOD_NN)
    plain = tmp_path / "plain.py"
    plain.write_text(GOOD_NN)
    md, junit = tmp_path / "summary.md", tmp_path / "junit.xml"
    args = ["--task", "simple-nn", "--device", "cpu", "--markdown", md, "--junit", junit]
    result = run_cli("judge", hostile, plain, *args)
    assert result.exit_code == 1
    no_controls(result.stdout)
    no_controls(result.stderr)
    assert "a\\x1b[2Kb\\nPASS.py" in result.stdout and "a\\x1b[2Kb\\nPASS.py" in result.stderr
    no_controls(md.read_text(encoding="utf-8"))
    ET.parse(junit)


# --- the screen's reports ----------------------------------------------------------------


def screen_results():
    from quizzer.screen.results import (
        CheckScore,
        ItemResult,
        ScreenInfo,
        ScreenResults,
        SectionResult,
        ThresholdInfo,
    )

    task = ItemResult(
        label="t`1\n## x",
        kind="task",
        type="coding",
        section="s",
        status="fail",
        points=0.0,
        max_points=2.0,
        note=f"solutions/x.py: {MESSAGE}",
        checks=[
            CheckScore(
                name="shapes\r", status="fail", points=0, max_points=1, weight=1, message=MESSAGE
            )
        ],
    )
    open_item = ItemResult(
        label="q2",
        kind="question",
        type="open",
        section="s",
        status="pending",
        points=None,
        max_points=1.0,
        response="fine\n## PASSED\n<img src=x onerror=alert(1)>",
        rubric=["[x](http://e)"],
    )
    threshold = ThresholdInfo(rule="50%", required_points=1.5)
    section = SectionResult(
        id="s",
        title="Coding `x`\n# h1",
        status="fail",
        points=0.0,
        max_points=3.0,
        pending_points=1.0,
        percent=0.0,
        threshold=threshold,
        items=[task, open_item],
    )
    return ScreenResults(
        candidate="alice",
        screen=ScreenInfo(title="Screen\x1b[2J", file="s.yaml", sha256="0" * 64),
        status="fail",
        message="did not pass <b>",
        points=0.0,
        max_points=3.0,
        pending_points=1.0,
        percent=0.0,
        threshold=threshold,
        sections=[section],
        graded_at="2024-01-01T00:00:00+00:00",
        quizzer_version="0",
    )


def test_the_screen_markdown_cannot_be_broken_by_names_or_answers():
    from quizzer.screen import report as screen_report

    md = screen_report.markdown(screen_results())
    no_controls(md)
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    headings = [t.tag for t in tokens if t.type == "heading_open"]
    assert headings == ["h2", "h3", "h3", "h4"]  # summary, section, awaiting review, q2
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img" not in html and "<script" not in html and "<a " not in html and "<b>" not in html


def test_the_screen_junit_is_well_formed():
    from quizzer.screen import report as screen_report

    text = screen_report.junit(screen_results())
    no_controls(text)
    root = ET.fromstring(text)
    assert root.get("name") == "quizzer screen: Screen\\x1b[2J"
    names = [case.get("name") for case in root.iter("testcase")]
    assert "t`1\\n## x: shapes\\r" in names


def test_the_leaderboard_and_batch_summary_escape_folder_names():
    from quizzer.commands.screen import _board_markdown
    from quizzer.screen import report as screen_report

    evil = "mal\x1b[2J`|x\nlory"
    rows = [("alice", screen_results(), None), (evil, None, f"{evil}: bad answers.yaml")]
    board = screen_report.leaderboard(rows)
    no_controls(board)
    assert [r[1] for r in csv.reader(io.StringIO(board))][1:] == ["alice", escaped(evil)]
    md = _board_markdown(rows, "Screen")
    no_controls(md)
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert html.count("<tr>") == 3 and f"<code>{escaped(evil)}</code>" in html
