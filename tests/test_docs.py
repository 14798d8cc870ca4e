"""The documentation states what the code does: docs/rules.md is what rules.py says."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_rules_reference_is_generated_from_rules_py() -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "rules_doc.py"))
    committed = (ROOT / "docs" / "rules.md").read_text()
    assert committed == script["render"](), "regenerate it: python scripts/rules_doc.py"
