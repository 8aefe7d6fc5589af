"""HTML reports for reviewers: a page per candidate and a cohort page with the score
distribution and statistics per question, so that a bad question shows itself.

Called by `quizzer screen grade`, which writes `report.html` beside each reviewer's
results.json and, for a batch, `OUT/report.html`. Each page is one self-contained file
(inline CSS and SVG, no script, nothing fetched), readable from a file manager or an
artifact download without a server. Everything a candidate wrote, and every message
that may quote it, is escaped: nothing of theirs becomes markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from quizzer.screen.results import ItemResult, ScreenResults

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem}
body{padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.num{text-align:right;font-variant-numeric:tabular-nums}
.pass,.right,.reviewed{color:#1a7f37}.fail,.wrong,.missing,.invalid,.error{color:#cf222e}
.pending,.partial{color:#9a6700}.flag{background:#fff8c5}pre{white-space:pre-wrap;margin:0}
.note{color:#57606a}
""".strip()

#: A question most candidates miss, or whose favourite answer is not the key, is
#: flagged for a look: the key, the wording or the options may be wrong.
LOW_RIGHT_SHARE = 0.2


def _page(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
            *body,
            "</body></html>",
            "",
        ]
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False)


def _cell(value: Any, cls: str = "") -> str:
    attr = f' class="{escape(cls)}"' if cls else ""
    return f"<td{attr}><pre>{escape(_text(value))}</pre></td>"


def _num(value: float | None) -> str:
    return '<td class="num">' + ("pending" if value is None else f"{value:g}") + "</td>"


def candidate_page(results: ScreenResults) -> str:
    """One candidate's reviewer report: totals, each section's items with the answer,
    the key and the note, each task's checks, and the similarity flags."""
    who = results.candidate
    body = [
        f"<h1>{escape(results.screen.title)}: {escape(who)}</h1>",
        f'<p class="{escape(results.status)}"><strong>{escape(results.status)}</strong>: '
        f"{escape(results.message)}</p>",
        f"<p>{results.points:g} of {results.max_points:g} points ({results.percent:g}%), "
        f"pass mark {escape(results.threshold.rule)}; graded {escape(results.graded_at)} "
        f"with quizzer {escape(results.quizzer_version)}.</p>",
    ]
    body += [f'<p class="note">{escape(n)}</p>' for n in results.paper_notes]
    for section in results.sections:
        body.append(
            f"<h2>{escape(section.title)}: {section.points:g} / {section.max_points:g} "
            f'<span class="{escape(section.status)}">{escape(section.status)}</span></h2>'
        )
        body.append(
            "<table><tr><th>#</th><th>id</th><th>status</th><th>points</th><th>answer</th>"
            "<th>expected</th><th>note</th><th>seconds</th></tr>"
        )
        for item in section.items:
            flag = ' class="flag"' if item.similar else ""
            note = item.note + ("; " + "; ".join(item.similar) if item.similar else "")
            body.append(
                f"<tr{flag}>{_cell(item.label)}{_cell(item.id)}{_cell(item.status, item.status)}"
                f"{_num(item.points)}{_cell(item.response)}{_cell(item.expected)}{_cell(note)}"
                f'<td class="num">{"" if item.seconds is None else f"{item.seconds:.0f}"}</td></tr>'
            )
        body.append("</table>")
        for item in section.items:
            if item.checks:
                body.append(f"<h3>{escape(item.label)}: checks</h3><table>")
                body.append("<tr><th>check</th><th>status</th><th>points</th><th>message</th></tr>")
                body += [
                    f"<tr>{_cell(c.name)}{_cell(c.status, c.status)}{_num(c.points)}"
                    f"{_cell(c.message)}</tr>"
                    for c in item.checks
                ]
                body.append("</table>")
    return _page(f"{results.screen.title}: {who}", body)


@dataclass
class QuestionStats:
    """How one question went across the cohort."""

    question_id: str
    type: str
    asked: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    #: For choice questions: each option id picked, and how often.
    picks: Counter[str] = field(default_factory=Counter)
    key: str = ""

    @property
    def right_share(self) -> float:
        return self.statuses["right"] / self.asked if self.asked else 0.0

    def flags(self) -> list[str]:
        out = []
        if self.asked >= 3 and self.right_share < LOW_RIGHT_SHARE:
            out.append(f"only {self.right_share:.0%} got it right")
        keys = set(_option_ids(self.key))
        if self.picks and keys:
            top, count = self.picks.most_common(1)[0]
            if top not in keys and count > max((self.picks[k] for k in keys), default=0):
                out.append(f"more picked {top} than the key")
        return out


def _option_ids(expected: str) -> list[str]:
    """The option ids of an expected answer as the grader words it ("b: Raw logits",
    "a, c: ..."): the part before the first colon."""
    head = expected.split(":", 1)[0] if ":" in expected else expected
    return [p.strip() for p in head.replace(",", " ").split() if p.strip()]


def question_stats(cohort: Sequence[ScreenResults]) -> list[QuestionStats]:
    stats: dict[str, QuestionStats] = {}
    for results in cohort:
        for item in results.items():
            if item.kind != "question" or item.id is None:
                continue
            s = stats.setdefault(item.id, QuestionStats(item.id, item.type))
            s.asked += 1
            s.statuses[item.status] += 1
            if item.expected and not s.key:
                s.key = item.expected
            for pick in _picks(item):
                s.picks[pick] += 1
    return sorted(stats.values(), key=lambda s: (s.right_share, s.question_id))


def _picks(item: ItemResult) -> list[str]:
    if item.type not in ("single_choice", "multiple_choice") or item.response is None:
        return []
    response = item.response
    if isinstance(response, str):
        return [p.strip().lower() for p in response.replace(",", " ").split() if p.strip()]
    if isinstance(response, list):
        return [str(p).strip().lower() for p in response]
    return []


def _histogram(percents: Sequence[float]) -> str:
    """An inline SVG bar chart of the scores in 10% bins."""
    bins = [0] * 10
    for p in percents:
        bins[min(9, int(p // 10))] += 1
    top = max(bins) or 1
    width, height = 400, 120
    bar = width / 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 20}" '
        'role="img" aria-label="score distribution">'
    ]
    for i, count in enumerate(bins):
        h = height * count / top
        parts.append(
            f'<rect x="{i * bar + 2:.0f}" y="{height - h:.0f}" width="{bar - 4:.0f}" '
            f'height="{h:.0f}" fill="#0969da">'
            f"<title>{i * 10}-{i * 10 + 10}%: {count}</title></rect>"
        )
        parts.append(
            f'<text x="{i * bar + bar / 2:.0f}" y="{height + 14}" font-size="10" '
            f'text-anchor="middle">{i * 10}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def cohort_page(title: str, rows: Sequence[tuple[str, ScreenResults | None, str | None]]) -> str:
    """The cohort: every candidate with a link to their page, the score distribution,
    and per question how often it was right and which options were picked."""
    graded = [r for _, r, _ in rows if r is not None]
    body = [
        f"<h1>{escape(title)}: {len(rows)} candidate(s)</h1>",
        "<h2>Scores</h2>",
        _histogram([r.percent for r in graded]),
        "<table><tr><th>candidate</th><th>status</th><th>points</th><th>%</th>"
        "<th>similar files</th><th>message</th></tr>",
    ]
    for candidate, results, error in sorted(
        rows, key=lambda row: (-(row[1].points if row[1] else -1), row[0])
    ):
        link = f'<a href="{escape(candidate)}/report.html">{escape(candidate)}</a>'
        if results is None:
            body.append(
                f'<tr><td>{link}</td><td class="error">error</td><td></td><td></td>'
                f"<td></td>{_cell(error)}</tr>"
            )
            continue
        similar = "; ".join(m for i in results.items() for m in i.similar)
        body.append(
            f"<tr><td>{link}</td>{_cell(results.status, results.status)}"
            f"{_num(results.points)}{_num(results.percent)}{_cell(similar)}"
            f"{_cell(results.message)}</tr>"
        )
    body.append("</table>")
    body.append("<h2>Questions</h2>")
    body.append(
        "<p>Hardest first. A question most candidates miss, or whose favourite option is "
        "not the key, is flagged: its key, wording or options may be wrong.</p>"
    )
    body.append(
        "<table><tr><th>question</th><th>type</th><th>asked</th><th>right</th>"
        "<th>partial</th><th>wrong</th><th>no answer</th><th>options picked</th>"
        "<th>key</th><th>look at it</th></tr>"
    )
    for s in question_stats(graded):
        flags = s.flags()
        picks = ", ".join(f"{k}: {v}" for k, v in sorted(s.picks.items()))
        body.append(
            f"{'<tr class=flag>' if flags else '<tr>'}{_cell(s.question_id)}{_cell(s.type)}"
            f"{_num(s.asked)}{_num(s.statuses['right'])}{_num(s.statuses['partial'])}"
            f"{_num(s.statuses['wrong'] + s.statuses['invalid'])}{_num(s.statuses['missing'])}"
            f"{_cell(picks)}{_cell(s.key)}{_cell('; '.join(flags))}</tr>"
        )
    body.append("</table>")
    return _page(f"{title}: cohort", body)
