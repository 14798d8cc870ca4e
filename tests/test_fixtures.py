"""Fixture pairs: ``tests/fixtures/<case>/`` holds ``input.py`` and ``expected.py``, or for
projects of several modules an ``input/`` and an ``expected/`` tree (which may carry a
``pyproject.toml`` with ``[tool.async-migrate]`` settings). A missing expected side
means "must not change". Each case also checks that the output parses and that a second run on
it changes nothing, and keeps ``report.txt``: each function's verdict and the rules that decided
it (the decisive one first), which ``--update-fixtures`` writes too."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from async_migrate import grammar
from async_migrate.config import find_config, load_settings
from async_migrate.plan import Verdict
from async_migrate.report import decisions_outline
from async_migrate.result import RunResult
from async_migrate.rules import Rule
from async_migrate.runner import migrate

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())
OUTLINE = "report.txt"


def _tree(root: Path) -> dict[str, str]:
    if root.is_file():
        return {root.name: root.read_text(encoding="utf-8")}
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.suffix == ".py" or path.name == "pyproject.toml"
    }


def _run(files: dict[str, str], workdir: Path) -> tuple[dict[str, str], RunResult]:
    shutil.rmtree(workdir, ignore_errors=True)
    for name, text in files.items():
        target = workdir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    result = migrate([workdir], load_settings(find_config(workdir)))
    output = dict(files)
    for change in result.changes:
        output[change.path.relative_to(workdir).as_posix()] = change.new_text
    return output, result


def _outline(result: RunResult, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The decisions with paths relative to the project, as the tool shows them run inside it."""
    monkeypatch.chdir(workdir)
    return decisions_outline(result)


def _inputs(case: Path) -> dict[str, str]:
    """The case's input files; a single-file case may carry its settings beside it."""
    source, _ = _input_and_expected(case)
    inputs = _tree(source)
    if source.is_file() and (case / "pyproject.toml").is_file():
        inputs["pyproject.toml"] = (case / "pyproject.toml").read_text(encoding="utf-8")
    return inputs


def _input_and_expected(case: Path) -> tuple[Path, Path]:
    if (case / "input").is_dir():
        return case / "input", case / "expected"
    return case / "input.py", case / "expected.py"


def _show(expected: dict[str, str], actual: dict[str, str]) -> str:
    lines = []
    for name in sorted(set(expected) | set(actual)):
        lines += difflib.unified_diff(
            expected.get(name, "").splitlines(keepends=True),
            actual.get(name, "").splitlines(keepends=True),
            f"expected/{name}",
            f"actual/{name}",
        )
    return "".join(lines)


@pytest.mark.parametrize("case", CASES)
def test_fixture(
    case: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, expected_path = _input_and_expected(FIXTURES / case)
    inputs = _inputs(FIXTURES / case)
    actual, result = _run(inputs, tmp_path / "first")
    assert result.errors == []
    outline = _outline(result, tmp_path / "first", monkeypatch)
    assert str(tmp_path) not in outline, "the outline names the test's temporary folder"
    if request.config.getoption("--update-fixtures"):
        (FIXTURES / case / OUTLINE).write_text(outline, encoding="utf-8")
        if actual != inputs and expected_path.suffix == ".py":
            # a single-file case: its pyproject.toml beside it is a setting, not an output
            expected_path.write_text(actual[source.name], encoding="utf-8")
        elif actual != inputs:
            for name, text in actual.items():
                if text == inputs.get(name):
                    continue  # an unchanged file needs no expected side
                target = expected_path / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        return
    expected = dict(inputs)
    if expected_path.is_dir():
        expected.update(_tree(expected_path))
    elif expected_path.exists():
        expected[source.name] = expected_path.read_text(encoding="utf-8")
    assert actual == expected, "output differs from the fixture:\n" + _show(expected, actual)
    kept = (FIXTURES / case / OUTLINE).read_text(encoding="utf-8")
    assert outline == kept, "decisions differ:\n" + _show({OUTLINE: kept}, {OUTLINE: outline})
    for name, text in actual.items():
        if name.endswith(".py"):
            grammar.parse(text, filename=name)  # the grammar the tool reads, newer than this Python's
    again, result = _run(actual, tmp_path / "second")
    assert result.errors == []
    assert again == actual, "a second run changed the output:\n" + _show(actual, again)


def test_every_case_is_complete() -> None:
    for case in CASES:
        source, _ = _input_and_expected(FIXTURES / case)
        assert source.exists(), f"{case} has no input"
        assert (FIXTURES / case / OUTLINE).is_file(), f"{case} has no {OUTLINE}: --update-fixtures writes it"


def test_every_rule_is_exercised_by_a_fixture(tmp_path: Path) -> None:
    """Each rewrite and each keep-sync reason shows up in the decisions of at least one case."""
    seen: set[Rule] = set()
    for case in CASES:
        _, result = _run(_inputs(FIXTURES / case), tmp_path / case)
        for decision in result.plan.decisions:
            seen.update(finding.rule for finding in decision.findings)
            if decision.verdict is Verdict.CONVERTED:
                seen.add(Rule.MAKE_ASYNC)
    assert set(Rule) - seen == set()
