"""The documentation states what the code does: docs/rules.md is what rules.py says, and the text
report in docs/reports/ is what the tool prints (the machine ones are checked in test_reports.py)."""

from __future__ import annotations

import runpy
from pathlib import Path

from helpers import run_tool

ROOT = Path(__file__).resolve().parents[1]


def test_rules_reference_is_generated_from_rules_py() -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "rules_doc.py"))
    committed = (ROOT / "docs" / "rules.md").read_text()
    assert committed == script["render"](), "regenerate it: python scripts/rules_doc.py"


def test_committed_text_report_is_what_the_tool_prints() -> None:
    result = run_tool("--check", ".", cwd=ROOT / "examples" / "legacy_service")
    assert result.stderr == (ROOT / "docs" / "reports" / "report.txt").read_text()


def test_readme_links_the_rules_reference() -> None:
    assert "(docs/rules.md)" in (ROOT / "README.md").read_text()
