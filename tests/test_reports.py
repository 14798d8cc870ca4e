"""Machine reports: SARIF valid against the official 2.1.0 schema, and the replacements carried
by SARIF ``fixes`` and rdjson ``suggestions`` rebuild exactly the file the tool writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import jsonschema
import pytest
from helpers import run_tool

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


def test_sarif_is_valid_and_its_fixes_rebuild_the_rewrite(service: Path, sarif_schema: dict) -> None:
    result = run_tool("--check", "--output-format", "sarif", service.name, cwd=service.parent)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    (run,) = document["runs"]
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} >= {"AM001", "AM101", "AM102", "AM210"}
    replacements = [
        (r["deletedRegion"]["startLine"], r["deletedRegion"]["endLine"], r["insertedContent"]["text"])
        for result_ in run["results"]
        for fix in result_.get("fixes", [])
        for change in fix["artifactChanges"]
        for r in change["replacements"]
    ]
    assert replacements
    assert _apply(service.read_text(), replacements) == _migrated(service)


def test_rdjson_suggestions_rebuild_the_rewrite(service: Path) -> None:
    result = run_tool("--check", "--output-format", "rdjson", service.name, cwd=service.parent)
    document = json.loads(result.stdout)
    assert document["source"]["name"] == "async-migrate"
    kept = [d for d in document["diagnostics"] if d["severity"] == "WARNING"]
    assert [d["code"]["value"] for d in kept] == ["AM210", "AM208"]
    replacements = [
        (s["range"]["start"]["line"], s["range"]["end"]["line"], s["text"])
        for diagnostic in document["diagnostics"]
        for s in diagnostic.get("suggestions", [])
    ]
    assert _apply(service.read_text(), replacements) == _migrated(service)


def test_json_rewrite_records_rebuild_the_rewrite(service: Path) -> None:
    result = run_tool("--check", "--output-format", "json", service.name, cwd=service.parent)
    document = json.loads(result.stdout)
    assert document["version"] == 1
    assert {record["rule"] for record in document["rewrites"]} >= {"AM001", "AM101", "AM102", "AM103"}
    replacements = [(r["line"], r["end_line"], r["replacement"]) for r in document["rewrites"]]
    assert _apply(service.read_text(), replacements) == _migrated(service)


EXAMPLE = Path(__file__).parents[1] / "examples" / "legacy_service"
REPORTS = Path(__file__).parents[1] / "docs" / "reports"


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
