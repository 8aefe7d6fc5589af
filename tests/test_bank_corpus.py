"""The corpus of broken bank files in tests/bank_fixtures/broken: each case (a file or a
folder) states, in `# expect:` comments at the end of the file that holds the mistake,
every problem `bank validate` must report, as `line:column: [id] field: message`.
Comparing whole messages checks the position, the question id, the field and the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizzer.bank import BankProblemError, load_bank, validate_paths
from quizzer.bank.problems import display_path

FIXTURES = Path(__file__).parent / "bank_fixtures"
BROKEN = FIXTURES / "broken"
CASES = sorted(BROKEN.iterdir(), key=lambda p: p.name)


def expectations(case: Path) -> set[tuple[Path, str]]:
    files = [case] if case.is_file() else sorted(case.rglob("*.yaml"))
    found = set()
    for file in files:
        for line in file.read_bytes().decode("utf-8", "replace").splitlines():
            if line.startswith("# expect: "):
                found.add((file.resolve(), line.removeprefix("# expect: ")))
    return found


def rendered(problem) -> str:
    """A problem as printed, without the path (which depends on the working folder)."""
    return str(problem)[len(display_path(problem.path)) + 1 :].strip()


def needs_translations(case: Path) -> bool:
    return case.is_file() and b"# options: require-translations" in case.read_bytes()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_reports_exactly_the_expected_problems(case):
    want = expectations(case)
    assert want, f"{case} states no '# expect:' lines"
    problems = validate_paths([case], require_translations=needs_translations(case))
    got = {(p.path.resolve(), rendered(p)) for p in problems}
    assert got == want


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_problem_names_a_real_position(case):
    for problem in validate_paths([case], require_translations=needs_translations(case)):
        text = problem.path.read_bytes().decode("utf-8", "replace").splitlines()
        assert 1 <= problem.line <= len(text)
        assert 1 <= problem.column <= len(text[problem.line - 1]) + 1
        assert str(problem).startswith(f"{display_path(problem.path)}:{problem.line}:")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_loading_stops_at_a_positioned_bank_error(case):
    if case.name in ("quality.yaml", "translations.yaml"):
        # Quality problems are for `bank validate`; such files load.
        load_bank([case], include_bundled=False, env={})
        return
    with pytest.raises(BankProblemError) as info:
        load_bank([case], include_bundled=False, env={})
    assert len(info.value.problems) == 1
    first = info.value.problems[0]
    assert str(info.value) == str(first)
    assert (first.path.resolve(), rendered(first)) in expectations(case)


def test_problems_come_sorted_by_file_and_position():
    problems = validate_paths([BROKEN / "wrong-values.yaml"], require_translations=False)
    assert [(p.line, p.column) for p in problems] == sorted((p.line, p.column) for p in problems)


def test_the_misspelt_key_message_reads_as_documented():
    problems = validate_paths([BROKEN / "misspelt-key.yaml"])
    anwser = next(p for p in problems if p.field == "anwser")
    assert anwser.suggestion == "answer"
    assert anwser.question_id == "misspelt-key"
    assert (anwser.line, anwser.column) == (12, 5)
    assert str(anwser).endswith(
        "misspelt-key.yaml:12:5: [misspelt-key] anwser: unknown field 'anwser' "
        "(did you mean 'answer'?)"
    )


def test_translations_are_required_only_where_asked():
    case = BROKEN / "translations.yaml"
    assert validate_paths([case], require_translations=False) == []
    assert len(validate_paths([case], require_translations=True)) == 4


def test_the_good_bank_has_no_problems_even_with_translations_required():
    assert validate_paths([FIXTURES / "good"], require_translations=True) == []
