"""``decide`` as a pure function: facts in, plan out, one rule per test."""

from __future__ import annotations

from pathlib import Path

from async_migrate.catalog import Catalog
from async_migrate.decide import decide
from async_migrate.index import build_index
from async_migrate.plan import AwaitCall, MakeAsync, Plan, Verdict, WrapCall
from async_migrate.rules import Rule
from async_migrate.source import read_source

HEADER = "from fastapi import Depends, FastAPI\napp = FastAPI()\n"


def plan_for(
    tmp_path: Path, files: dict[str, str], *, reverse: bool = False, frozen: tuple[str, ...] = ()
) -> Plan:
    paths = []
    for name, code in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
        paths.append(path)
    sources = [read_source(path) for path in (reversed(paths) if reverse else paths)]
    catalog = Catalog()
    return decide(build_index(sources, catalog), catalog, frozenset(tmp_path / name for name in frozen))


def verdicts(plan: Plan) -> dict[str, Verdict]:
    return {decision.qualname.rpartition(".")[2]: decision.verdict for decision in plan.decisions}


def rules_of(plan: Plan, name: str) -> set[Rule]:
    (decision,) = [d for d in plan.decisions if d.qualname.endswith("." + name)]
    return {finding.rule for finding in decision.findings}


def test_dropping_a_candidate_drops_the_callers_that_cannot_wrap_it(tmp_path: Path) -> None:
    code = HEADER + (
        "import vendor\n"
        "def dep():\n    return vendor.thing()\n"
        "@app.get('/a')\ndef a(x=Depends(dep)):\n    return dep()\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"dep": Verdict.KEPT_SYNC, "a": Verdict.KEPT_SYNC}
    assert rules_of(plan, "a") == {Rule.UNKNOWN_CALL}


def test_a_converted_function_called_by_a_converted_one_is_awaited(tmp_path: Path) -> None:
    code = HEADER + "def dep():\n    return 1\n@app.get('/a')\ndef a(x=Depends(dep)):\n    return dep() + x\n"
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"dep": Verdict.CONVERTED, "a": Verdict.CONVERTED}
    kinds = sorted(type(edit).__name__ for edit in plan.edits[tmp_path / "app.py"])
    assert kinds == ["AwaitCall", "MakeAsync", "MakeAsync"]


def test_a_helper_with_a_sync_caller_is_wrapped_not_converted(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/helpers.py": "import os\ndef names(d):\n    return os.listdir(d)\n",
        "pkg/api.py": HEADER
        + "from .helpers import names\n@app.get('/')\ndef root():\n    return names('.')\n",
        "pkg/job.py": "from pkg.helpers import names\ndef main():\n    print(names('/'))\n",
    }
    plan = plan_for(tmp_path, files)
    assert verdicts(plan) == {"root": Verdict.CONVERTED, "names": Verdict.KEPT_SYNC}
    assert rules_of(plan, "names") == {Rule.SYNC_CALLER, Rule.NO_GAIN}
    edits = plan.edits[tmp_path / "pkg/api.py"]
    assert [type(edit) for edit in edits] == [MakeAsync, WrapCall]
    assert tmp_path / "pkg/helpers.py" not in plan.edits


def test_the_plan_does_not_depend_on_file_order(tmp_path: Path) -> None:
    files = {
        "a.py": HEADER + "import time\nfrom b import helper\n"
        "@app.get('/')\ndef root():\n    time.sleep(1)\n    return helper()\n",
        "b.py": "import shutil\ndef helper():\n    return shutil.disk_usage('/')\n",
    }
    forward, backward = plan_for(tmp_path, files), plan_for(tmp_path, files, reverse=True)
    assert verdicts(forward) == verdicts(backward) == {"root": Verdict.CONVERTED, "helper": Verdict.KEPT_SYNC}
    assert {p: sorted(map(repr, e)) for p, e in forward.edits.items()} == {
        p: sorted(map(repr, e)) for p, e in backward.edits.items()
    }


def test_existing_async_helpers_get_awaits_for_converted_functions(tmp_path: Path) -> None:
    code = HEADER + (
        "def dep():\n    return 1\n"
        "async def helper():\n    return dep()\n"
        "@app.get('/')\nasync def root(x=Depends(dep)):\n    return await helper()\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan)["dep"] is Verdict.CONVERTED
    awaits = [edit for edit in plan.edits[tmp_path / "app.py"] if isinstance(edit, AwaitCall)]
    assert [edit.span.line for edit in awaits] == [6]


def test_a_call_from_a_lambda_is_a_sync_caller(tmp_path: Path) -> None:
    code = (
        HEADER + "def dep():\n    return 1\nLATER = lambda: dep()\n"
        "@app.get('/')\ndef root(x=Depends(dep)):\n    return x\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan)["dep"] is Verdict.KEPT_SYNC
    assert rules_of(plan, "dep") == {Rule.SYNC_CALLER}


def test_functions_in_a_frozen_file_stay_and_their_callers_count_as_sync(tmp_path: Path) -> None:
    files = {
        "deps.py": "def dep():\n    return 1\n",
        "app.py": HEADER + "from deps import dep\n@app.get('/')\ndef root(x=Depends(dep)):\n    return x\n",
        "other.py": "from deps import dep\nasync def use():\n    return dep()\n",
    }
    plan = plan_for(tmp_path, files, frozen=("other.py",))
    assert verdicts(plan) == {"dep": Verdict.KEPT_SYNC, "root": Verdict.CONVERTED}
    assert tmp_path / "other.py" not in plan.edits


def test_an_existing_async_function_with_an_unfixable_call_is_left_as_written(tmp_path: Path) -> None:
    code = HEADER + "import os\n@app.get('/')\nasync def root():\n    os.chdir('/')\n    return 1\n"
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"root": Verdict.UNCHANGED}
    assert rules_of(plan, "root") == {Rule.MUST_NOT_MOVE}
    assert plan.edits == {}


def test_calls_already_handed_to_the_threadpool_are_off_the_loop(tmp_path: Path) -> None:
    code = HEADER + (
        "import os\nfrom fastapi.concurrency import run_in_threadpool\n"
        "@app.get('/')\nasync def root(p: str):\n"
        "    def _read():\n        with open(p) as fh:\n            return fh.read()\n"
        "    text = await run_in_threadpool(_read)\n"
        "    size = await run_in_threadpool(lambda: open(p).read())\n"
        "    return await run_in_threadpool(os.path.exists, p), text, size\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    (decision,) = plan.decisions
    assert (decision.verdict, decision.findings) == (Verdict.UNCHANGED, [])
    assert plan.edits == {}


def test_helpers_become_async_all_the_way_down(tmp_path: Path) -> None:
    files = {
        "svc/__init__.py": "",
        "svc/client.py": "import time\ndef fetch(n):\n    time.sleep(0.1)\n    return n\n",
        "svc/service.py": "from svc import client\ndef total(n):\n    return client.fetch(n) + 1\n",
        "svc/api.py": HEADER
        + "from svc.service import total\n@app.get('/')\ndef root():\n    return total(1)\n",
    }
    plan = plan_for(tmp_path, files)
    assert verdicts(plan) == {
        "fetch": Verdict.CONVERTED,
        "total": Verdict.CONVERTED,
        "root": Verdict.CONVERTED,
    }
    awaited = {path.name: [type(e).__name__ for e in edits] for path, edits in plan.edits.items()}
    assert awaited == {
        "client.py": ["MakeAsync", "AsyncSleep"],
        "service.py": ["MakeAsync", "AwaitCall"],
        "api.py": ["MakeAsync", "AwaitCall"],
    }


def test_a_helper_with_a_sync_caller_stays_sync_and_is_wrapped_by_async_callers(tmp_path: Path) -> None:
    code = HEADER + (
        "import time\ndef slow():\n    time.sleep(1)\n"
        "@app.get('/')\ndef root():\n    slow()\n"
        "def job():\n    slow()\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"slow": Verdict.KEPT_SYNC, "root": Verdict.CONVERTED}
    assert rules_of(plan, "slow") == {Rule.SYNC_CALLER}
    assert [type(e) for e in plan.edits[tmp_path / "app.py"]] == [MakeAsync, WrapCall]


def test_pure_helpers_are_called_directly_and_left_alone(tmp_path: Path) -> None:
    code = (
        HEADER + "def label(x):\n    return str(x).upper()\n@app.get('/')\ndef root():\n    return label(1)\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"label": Verdict.UNCHANGED, "root": Verdict.CONVERTED}
    assert [type(e) for e in plan.edits[tmp_path / "app.py"]] == [MakeAsync]


def test_overridden_methods_and_generator_helpers_stay_sync(tmp_path: Path) -> None:
    code = HEADER + (
        "import time\n"
        "class Base:\n    def load(self):\n        time.sleep(1)\n"
        "class Child(Base):\n    def load(self):\n        time.sleep(2)\n"
        "def rows():\n    time.sleep(1)\n    yield 1\n"
        "@app.get('/')\ndef root():\n    Base().load()\n    return list(rows())\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    (load,) = [d for d in plan.decisions if d.qualname.endswith("Base.load")]
    assert load.verdict is Verdict.KEPT_SYNC
    assert Rule.OVERRIDDEN in {finding.rule for finding in load.findings}
    assert rules_of(plan, "rows") == {Rule.GENERATOR}
    assert verdicts(plan)["root"] is Verdict.KEPT_SYNC  # can't wrap a blocking generator


def test_a_yield_dependency_called_directly_stays_sync(tmp_path: Path) -> None:
    code = HEADER + (
        "def items():\n    yield 1\n@app.get('/')\ndef root(x=Depends(items)):\n    return list(items())\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"items": Verdict.KEPT_SYNC, "root": Verdict.CONVERTED}
    assert rules_of(plan, "items") == {Rule.GENERATOR}


def test_async_code_left_as_written_does_not_start_awaiting(tmp_path: Path) -> None:
    code = HEADER + (
        "import os, time\n"
        "def dep():\n    time.sleep(1)\n    return 1\n"
        "@app.get('/')\nasync def root(x=Depends(dep)):\n    os.chdir('/')\n    return dep()\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"dep": Verdict.KEPT_SYNC, "root": Verdict.UNCHANGED}
    (sync_caller,) = [f for d in plan.decisions if d.name == "dep" for f in d.findings]
    assert sync_caller.message.endswith("(app.root, async but left as written)")
    assert plan.edits == {}
