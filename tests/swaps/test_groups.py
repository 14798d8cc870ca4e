"""Linked groups are all or nothing (DESIGN.md, "Built to grow"), shown with a small fake swap:
``fakedb.query()`` calls are awaited, and the module-level ``engine = fakedb.engine()`` is
rewritten, only when every function using the engine becomes async."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from async_migrate.catalog import Catalog
from async_migrate.decide import decide
from async_migrate.facts import CallFact, ExternalCallee, FunctionFact, Location, Span
from async_migrate.index import build_index
from async_migrate.plan import Anchor, Edit, Finding, Plan, Verdict
from async_migrate.rules import Rule
from async_migrate.source import read_source
from async_migrate.swaps.base import Group, Planned, Project, Swap
from async_migrate.swaps.registry import SWAPS

HEADER = (
    "import fakedb\nimport vendor\nfrom fastapi import FastAPI\napp = FastAPI()\nengine = fakedb.engine()\n"
)
ENGINE_LINE = 5
LOCATION = Location(Path("app.py"), ENGINE_LINE)


@dataclass(frozen=True)
class AwaitQuery(Edit):
    gain = True
    awaits = True

    @property
    def message(self) -> str:
        return "query awaited"


@dataclass(frozen=True)
class AsyncEngine(Edit):
    reported = False

    @property
    def anchor(self) -> Anchor:
        return "statement"


class FakeDbSwap(Swap):
    name = "fakedb"

    def prepare(self, project: Project) -> Path:
        return next(fact.path for fact in project.index.functions.values())

    def plan_call(self, state: Path, fact: FunctionFact, call: CallFact) -> Planned | None:
        callee = call.callee
        if not isinstance(callee, ExternalCallee) or callee.qualname != "fakedb.query":
            return None
        return Planned((AwaitQuery(Rule.AWAIT_CALL, fact.path, call.span),), group="engine")

    def group_off(
        self, state: Path, key: Hashable, causes: Mapping[str, list[Finding]]
    ) -> Mapping[str, list[Finding]]:
        kept = ", ".join(sorted(causes))
        return {"app.a": [Finding(Rule.UNKNOWN_CALL, f"its {key} group is off: {kept} stays sync", LOCATION)]}

    def groups(self, state: Path) -> Iterable[Group]:
        yield Group(
            "engine", edits=(AsyncEngine(Rule.AWAIT_CALL, state, Span(ENGINE_LINE, 0, ENGINE_LINE, 24)),)
        )


def plan_for(tmp_path: Path, code: str) -> Plan:
    path = tmp_path / "app.py"
    path.write_text(HEADER + code)
    catalog = Catalog()
    return decide(build_index([read_source(path)], catalog), catalog, swaps=(FakeDbSwap(), *SWAPS))


def verdicts(plan: Plan) -> dict[str, Verdict]:
    return {decision.name: decision.verdict for decision in plan.decisions}


def kinds(plan: Plan) -> list[str]:
    return sorted(type(edit).__name__ for edits in plan.edits.values() for edit in edits)


def test_a_group_whose_members_all_convert_makes_its_edits_outside_functions(tmp_path: Path) -> None:
    code = (
        "@app.get('/a')\ndef a():\n    return fakedb.query(engine, 1)\n"
        "@app.get('/b')\ndef b():\n    return fakedb.query(engine, 2)\n"
    )
    plan = plan_for(tmp_path, code)
    assert verdicts(plan) == {"a": Verdict.CONVERTED, "b": Verdict.CONVERTED}
    assert kinds(plan) == ["AsyncEngine", "AwaitQuery", "AwaitQuery", "MakeAsync", "MakeAsync"]


def test_one_member_kept_sync_turns_the_group_off_and_its_calls_are_unknown_again(tmp_path: Path) -> None:
    code = (
        "@app.get('/a')\ndef a():\n    return fakedb.query(engine, 1)\n"
        "@app.get('/b')\ndef b():\n    vendor.thing()\n    return fakedb.query(engine, 2)\n"
    )
    plan = plan_for(tmp_path, code)
    # b stays sync for vendor.thing(): a, which alone could convert, stays sync with it
    assert verdicts(plan) == {"a": Verdict.KEPT_SYNC, "b": Verdict.KEPT_SYNC}
    (a,) = [decision for decision in plan.decisions if decision.name == "a"]
    # first what its swap says of the group (group_off, told which members kept it off), then why
    # a stays sync without the group
    assert [(f.rule, f.message) for f in a.findings] == [
        (Rule.UNKNOWN_CALL, "its engine group is off: app.b stays sync"),
        (Rule.UNKNOWN_CALL, "fakedb.query() is not in the catalog and may block"),
    ]
    assert kinds(plan) == []


def test_a_group_no_function_uses_makes_no_edits(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, "@app.get('/a')\ndef a():\n    return 1\n")
    assert verdicts(plan) == {"a": Verdict.CONVERTED}
    assert kinds(plan) == ["MakeAsync"]


def test_a_group_with_an_edit_in_a_file_not_rewritten_is_off(tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text("import fakedb\n\n\n\nengine = fakedb.engine()\n")
    app = tmp_path / "app.py"
    app.write_text(
        "import fakedb\nfrom fastapi import FastAPI\nfrom db import engine\napp = FastAPI()\n"
        "@app.get('/a')\ndef a():\n    return fakedb.query(engine, 1)\n"
    )
    catalog = Catalog()
    index = build_index([read_source(app), read_source(tmp_path / "db.py")], catalog)
    swap = FakeDbSwap()
    swap.prepare = lambda project: tmp_path / "db.py"  # type: ignore[method-assign]
    plan = decide(index, catalog, frozenset([tmp_path / "db.py"]), swaps=(swap, *SWAPS))
    assert verdicts(plan) == {"a": Verdict.KEPT_SYNC}
    assert kinds(plan) == []
    on = decide(index, catalog, swaps=(swap, *SWAPS))  # the same, db.py rewritable: the group is on
    assert verdicts(on) == {"a": Verdict.CONVERTED}
    assert kinds(on) == ["AsyncEngine", "AwaitQuery", "MakeAsync"]
