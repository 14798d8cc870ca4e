#!/usr/bin/env python
"""Write docs/rules.md from ``async_migrate.rules``, so the rules reference can't drift from what
``async-migrate --explain`` prints. ``tests/test_docs.py`` fails when the file differs.

    python scripts/rules_doc.py
"""

from __future__ import annotations

from pathlib import Path

from async_migrate.rules import Rule

TARGET = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
HEADER = """\
# Rules

Every rewrite and every reason to keep a function sync has a stable code, printed in the report
and in the machine formats. `async-migrate --explain CODE` (or `--explain all`) prints the same
text. AM0xx and AM1xx are rewrites, AM2xx reasons a function stays `def`, AM3xx notes on existing
`async def` code.

This file is generated from `src/async_migrate/rules.py` by `python scripts/rules_doc.py`.

| code | name | what it means |
| --- | --- | --- |
"""


def render() -> str:
    """The whole file, one row per rule, by code."""
    rows = sorted(Rule, key=lambda rule: rule.code)
    return HEADER + "".join(f"| {r.code} | {r.title} | {_cell(r.explanation)} |\n" for r in rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    TARGET.write_text(render())
