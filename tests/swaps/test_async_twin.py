"""The async-twin swap's codemod, node before and after (AM104)."""

from __future__ import annotations

import ast

from swap_helpers import PATH, rewritten, span_of

from async_migrate.facts import ImportBinding
from async_migrate.rules import Rule
from async_migrate.swaps.async_twin.edits import AsyncTwin


def test_a_twin_in_the_same_module_is_reached_the_same_way() -> None:
    before = "import mylib\n\n\nasync def f(u):\n    return mylib.fetch(u, retries=2)\n"
    edit = AsyncTwin(Rule.ASYNC_TWIN, PATH, span_of(before, ast.Call), "mylib.fetch", "mylib.afetch", None)
    assert rewritten(before, edit) == before.replace("mylib.fetch(", "await mylib.afetch(")


def test_a_twin_elsewhere_is_imported_and_the_unused_import_dropped() -> None:
    before = "from mylib import fetch\n\n\nasync def f(u):\n    return fetch(u)\n"
    unused = ImportBinding("mylib", "fetch")
    edit = AsyncTwin(
        Rule.ASYNC_TWIN, PATH, span_of(before, ast.Call), "mylib.fetch", "otherlib.afetch", unused
    )
    after = "from otherlib import afetch\n\n\nasync def f(u):\n    return await afetch(u)\n"
    assert rewritten(before, edit) == after
