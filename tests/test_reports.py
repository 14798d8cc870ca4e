"""Machine reports: SARIF valid against the official 2.1.0 schema, and the replacements carried
by SARIF ``fixes`` and rdjson ``suggestions`` rebuild exactly the file the tool writes."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import jsonschema
import pytest
from helpers import run_tool
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from async_migrate.config import find_config, load_settings
from async_migrate.report import _file_hunks, rdjson_report, sarif_report
from async_migrate.runner import migrate
from async_migrate.source import split_lines

SERVICE = Path(__file__).parent / "behaviour" / "service.py"
SCHEMA_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
"""Microsoft's SARIF matchers ship the official schema (sarif-2.1.0-rtm.5.json)."""


@pytest.fixture(scope="module")
def sarif_schema(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("schema")
    npm = shutil.which("npm")
    assert npm, "npm is needed to fetch the official SARIF schema"
    packed = subprocess.run(
        [npm, "pack", SCHEMA_PACKAGE, "--silent"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    with tarfile.open(folder / packed.stdout.strip().splitlines()[-1]) as archive:
        member = archive.extractfile("package/lib/schemas/sarif-2.1.0-rtm.5.json")
        assert member is not None
        return json.load(member)


@pytest.fixture
def service(tmp_path: Path) -> Path:
    shutil.copy(SERVICE, tmp_path / "service.py")
    # every kind of rewrite shows up in the reports, the threadpool ones included
    (tmp_path / "pyproject.toml").write_text("[tool.async-migrate]\nconvert-threadpool-only = true\n")
    return tmp_path / "service.py"


def _migrated(service: Path) -> str:
    copy = service.with_name("migrated.py")
    shutil.copy(service, copy)
    assert run_tool("-q", copy.name, cwd=service.parent).returncode == 0
    text = copy.read_text()
    copy.unlink()
    return text


def _apply(original: str, replacements: list[tuple[int, int, str]]) -> str:
    lines = original.splitlines(keepends=True)
    for start, end, text in sorted(replacements, reverse=True):
        lines[start - 1 : end - 1] = [text]
    return "".join(lines)


def _apply_suggestions(original: str, suggestions: list[tuple[int, int, str]]) -> str:
    """What accepting GitHub suggested changes does: lines ``start`` to ``end`` (inclusive) become
    ``text``, the last of them keeping its line ending (reviewdog's line-wise range)."""
    lines = split_lines(original)
    for start, end, text in sorted(suggestions, reverse=True):
        last = lines[end - 1]
        lines[start - 1 : end] = [text + last[len(last.rstrip("\r\n")) :]]
    return "".join(lines)


def _rdjson_suggestions(document: dict) -> dict[str, list[tuple[int, int, str]]]:
    """Each file's suggestions, checked to be postable by reviewdog's github-pr-review reporter:
    at most one per diagnostic, on exactly the diagnostic's line range (any other range is
    posted as "reviewdog suggestion error"), line-wise (no columns) and never empty (an empty
    GitHub suggestion deletes the lines, where rdjson would leave one empty)."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    for diagnostic in document["diagnostics"]:
        suggestions = diagnostic.get("suggestions", [])
        assert len(suggestions) <= 1, diagnostic
        for suggestion in suggestions:
            assert suggestion["range"] == diagnostic["location"]["range"], diagnostic
            start = suggestion["range"]["start"]
            end = suggestion["range"].get("end", start)
            assert set(start) == set(end) == {"line"}, diagnostic
            assert suggestion["text"], diagnostic
            path = diagnostic["location"]["path"]
            found.setdefault(path, []).append((start["line"], end["line"], suggestion["text"]))
    return found


def _sarif_suggestions(document: dict) -> dict[str, list[tuple[int, int, str]]]:
    """The same for SARIF, as reviewdog reads it: a result's fixes become suggestions of each of
    its locations, so a result with a fix has one location, one fix, one replacement, whose
    region is the location's."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    for result in document["runs"][0]["results"]:
        fixes = result.get("fixes", [])
        if not fixes:
            continue
        (location,) = result["locations"]
        (fix,) = fixes
        (change,) = fix["artifactChanges"]
        (replacement,) = change["replacements"]
        region = location["physicalLocation"]["region"]
        assert change["artifactLocation"] == location["physicalLocation"]["artifactLocation"], result
        assert replacement["deletedRegion"] == region, result
        assert set(region) <= {"startLine", "endLine"}, result
        assert replacement["insertedContent"]["text"], result
        path = change["artifactLocation"]["uri"]
        end = region.get("endLine", region["startLine"])
        found.setdefault(path, []).append((region["startLine"], end, replacement["insertedContent"]["text"]))
    return found


@pytest.mark.slow
def test_sarif_is_valid_and_its_fixes_rebuild_the_rewrite(service: Path, sarif_schema: dict) -> None:
    result = run_tool("--check", "--output-format", "sarif", service.name, cwd=service.parent)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    (run,) = document["runs"]
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} >= {"AM001", "AM101", "AM102", "AM210"}
    (suggestions,) = _sarif_suggestions(document).values()
    assert _apply_suggestions(service.read_text(), suggestions) == _migrated(service)


@pytest.mark.slow
def test_rdjson_suggestions_rebuild_the_rewrite(service: Path) -> None:
    result = run_tool("--check", "--output-format", "rdjson", service.name, cwd=service.parent)
    document = json.loads(result.stdout)
    assert document["source"]["name"] == "async-migrate"
    kept = [d for d in document["diagnostics"] if d["severity"] == "WARNING"]
    assert [d["code"]["value"] for d in kept] == ["AM210", "AM208"]
    (suggestions,) = _rdjson_suggestions(document).values()
    assert _apply_suggestions(service.read_text(), suggestions) == _migrated(service)


def test_json_rewrite_records_rebuild_the_rewrite(service: Path) -> None:
    result = run_tool("--check", "--output-format", "json", service.name, cwd=service.parent)
    document = json.loads(result.stdout)
    assert document["version"] == 1
    assert {record["rule"] for record in document["rewrites"]} >= {"AM001", "AM101", "AM102", "AM103"}
    replacements = [(r["line"], r["end_line"], r["replacement"]) for r in document["rewrites"]]
    assert _apply(service.read_text(), replacements) == _migrated(service)


EXAMPLE = Path(__file__).parents[1] / "examples" / "legacy_service"
REPORTS = Path(__file__).parents[1] / "docs" / "reports"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("output_format", "name"),
    [
        ("json", "report.json"),
        ("github", "report.github"),
        ("sarif", "report.sarif.json"),
        ("rdjson", "report.rdjson.json"),
    ],
)
def test_committed_report_examples_are_what_the_tool_prints(output_format: str, name: str) -> None:
    result = run_tool("--check", "--output-format", output_format, ".", cwd=EXAMPLE)
    assert result.stdout == (REPORTS / name).read_text(), f"regenerate docs/reports/{name}"


LINES = st.lists(st.sampled_from(["\n", "a\n", "b\n", "  \n", "\r\n", "a\r\n"]), max_size=12).map("".join)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(old=LINES, new=LINES, last=st.sampled_from(["", "c"]))
def test_every_change_of_lines_becomes_postable_suggestions(old: str, new: str, last: str) -> None:
    """Blank lines and mixed line endings around insertions and deletions: each hunk still
    replaces at least one line with text that is not empty, hunks never overlap, and accepting
    them gives ``new``. (A suggestion needs a line that is not blank to stand on, and keeps the
    ending of the last line it replaces: a rewrite never changes the file's last line ending.)"""
    old, new = old + last, new + last
    assume(old.strip() and new.strip() and old != new)
    assume(
        len({line[len(line.rstrip("\r\n")) :] for line in (split_lines(old)[-1], split_lines(new)[-1])}) == 1
    )
    hunks = _file_hunks(Path("x.py"), old, new)
    assert all(hunk.start < hunk.end and hunk.lines for hunk in hunks)
    assert all(a.end <= b.start for a, b in itertools.pairwise(hunks))
    suggested = _apply_suggestions(old, [(hunk.start, hunk.end - 1, hunk.lines) for hunk in hunks])
    assert suggested == new


SUGGESTIONS = {"rdjson": _rdjson_suggestions, "sarif": _sarif_suggestions}
FIXTURES = Path(__file__).parent / "fixtures"


def _check_suggestions(
    output_format: str, report: str, originals: dict[str, str], written: dict[str, str]
) -> None:
    """Accepting every suggestion of ``report`` turns ``originals`` into exactly ``written``."""
    suggested = SUGGESTIONS[output_format](json.loads(report))
    assert set(suggested) == {name for name in originals if originals[name] != written[name]}
    for name, suggestions in suggested.items():
        assert _apply_suggestions(originals[name], suggestions) == written[name], name


@pytest.mark.parametrize("output_format", sorted(SUGGESTIONS))
@pytest.mark.parametrize("case", sorted(path.name for path in FIXTURES.iterdir() if path.is_dir()))
def test_suggestions_on_every_fixture_rebuild_what_write_mode_writes(
    case: str, output_format: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = FIXTURES / case / ("input" if (FIXTURES / case / "input").is_dir() else "input.py")
    workdir = tmp_path / "project"
    if source.is_dir():
        shutil.copytree(source, workdir)
    else:
        workdir.mkdir()
        shutil.copy(source, workdir)
        if (FIXTURES / case / "pyproject.toml").is_file():
            shutil.copy(FIXTURES / case / "pyproject.toml", workdir)
    monkeypatch.chdir(workdir)
    result = migrate([Path(".")], load_settings(find_config(Path("."))))
    originals = {p.relative_to(workdir).as_posix(): p.read_text() for p in workdir.rglob("*.py")}
    written = dict(originals)
    written.update({change.path.as_posix(): change.new_text for change in result.changes})
    renderer = {"rdjson": rdjson_report, "sarif": sarif_report}[output_format]
    _check_suggestions(output_format, renderer(result), originals, written)


@pytest.mark.slow
@pytest.mark.parametrize("output_format", sorted(SUGGESTIONS))
def test_suggestions_on_the_example_service_rebuild_what_write_mode_writes(
    output_format: str, tmp_path: Path
) -> None:
    project = tmp_path / "legacy_service"
    shutil.copytree(EXAMPLE, project)
    originals = {p.relative_to(project).as_posix(): p.read_text() for p in project.rglob("*.py")}
    report = run_tool("--check", "--output-format", output_format, ".", cwd=project)
    assert report.returncode == 1, report.stderr
    assert run_tool("-q", ".", cwd=project).returncode == 0
    written = {p.relative_to(project).as_posix(): p.read_text() for p in project.rglob("*.py")}
    _check_suggestions(output_format, report.stdout, originals, written)


KEPT = """import functools

import vendor
from fastapi import Depends, FastAPI

app = FastAPI()


@functools.lru_cache
def settings():
    return {"url": "http://upstream"}


@app.get("/items")
def items(q=None, conf=Depends(settings)):
    term = q.strip()
    client = vendor.Client(conf["url"])
    return client.get("/items", params={"q": term})


@app.get("/count")
def count(q=None, db_session=None):
    name = q.upper()
    return db_session.query(name).count()


def job():
    return settings()
"""


@pytest.fixture
def kept(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(KEPT)
    return tmp_path


def test_summary_counts_functions_and_each_reason_once_per_function(kept: Path) -> None:
    result = run_tool("--check", ".", cwd=kept)
    assert result.returncode == 0, result.stderr
    # items has three unknown calls, count two, settings two reasons: each function counts once
    assert "functions: 0 converted to async, 0 async fixed, 3 kept sync;" in result.stderr
    assert (
        "kept sync, functions per reason (one can have several): "
        "2 unknown-call, 1 unknown-decorator, 1 sync-caller.\n"
    ) in result.stderr


def test_the_decisive_reason_comes_first(kept: Path) -> None:
    """An HTTP client's request or a database query, not the ``str.strip()`` above it, on an
    unknown value, is what a reader must see first: in the text, and in a review's title."""
    text = run_tool("--check", ".", cwd=kept).stderr
    block = text[text.index("items (route)") : text.index("count (route)")]
    assert block.index("client.get()") < block.index("vendor.Client()") < block.index("q.strip()")
    block = text[text.index("count (route)") :]
    assert block.index("db_session.query()") < block.index("q.upper()")
    rdjson = json.loads(run_tool("--check", "--output-format", "rdjson", ".", cwd=kept).stdout)
    items = next(d for d in rdjson["diagnostics"] if d["message"].startswith("items"))
    assert items["message"].index("client.get()") < items["message"].index("q.strip()")


def test_github_annotations_are_one_per_function(kept: Path) -> None:
    annotations = run_tool("--check", "--output-format", "github", ".", cwd=kept).stdout.splitlines()
    assert [line.split("::")[1].split(",title=")[0] for line in annotations] == [
        "warning file=app.py,line=10",
        "warning file=app.py,line=15",
        "warning file=app.py,line=22",
    ]
    items = annotations[1]
    assert items.startswith(
        "::warning file=app.py,line=15,title=AM201 unknown-call::items (route): kept sync%0A"
    )
    assert items.count("%0AAM201 line ") == 3
    assert items.index("client.get()") < items.index("q.strip()")


def test_verbose_says_why_each_conversion_is_safe(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "def pause():\n    time.sleep(0.1)\n\n\n"
        "@app.get('/slow')\ndef slow():\n    pause()\n    return {}\n\n\n"
        "@app.get('/health')\ndef health():\n    return {}\n"
    )
    text = run_tool("--check", "-v", ".", cwd=tmp_path).stderr.splitlines()
    said = {line: text[i + 1] for i, line in enumerate(text) if line.endswith(": converted")}
    assert said == {
        "app.py:8: pause (helper): converted": "    safe: its callers are all async and await it; "
        "the calls below are the only ones in it that can block, and each leaves the loop",
        "app.py:13: slow (route): converted": "    safe: FastAPI awaits it; "
        "the calls below are the only ones in it that can block, and each leaves the loop",
        "app.py:19: health (route): converted": "    safe: FastAPI awaits it; no call in it can block",
    }


def test_a_named_file_that_is_not_python_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("from fastapi import FastAPI\n")
    result = run_tool("--check", "notes.txt", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "async-migrate: error: notes.txt: not a Python file (name .py files or folders)\n"
    (tmp_path / "manage").write_text("#!/usr/bin/env python3\nfrom fastapi import FastAPI\n")
    assert run_tool("--check", "manage", cwd=tmp_path).returncode == 0


def test_jobs_help_shows_one_default(tmp_path: Path) -> None:
    help_text = run_tool("--help", cwd=tmp_path).stdout
    jobs = help_text[help_text.index("--jobs") : help_text.index("--config")]
    assert " ".join(jobs.split()).count("default") == 1, jobs
    assert "all cores" in jobs


def test_summary_counts_async_twin_rewrites(tmp_path: Path) -> None:
    """Calls replaced by their configured async twin (AM104) are rewrites like any other: the
    summary counts them, and a function whose only blocking calls had twins is not said to
    have none."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "async_twin_from_config" / "input", project)
    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace("    vendor.upload(first + second + third)\n", ""))
    result = run_tool("--check", "--verbose", ".", cwd=project)
    assert result.returncode == 1, result.stderr
    assert (
        "0 calls moved to the threadpool, 0 sleeps made async, 0 HTTP calls made async, "
        "3 calls replaced by an async twin.\n"
    ) in result.stderr
    assert "safe: FastAPI awaits it; the calls below are the only ones" in result.stderr
