"""``decide`` as a pure function: facts in, plan out, one rule per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from facts_builder import Call, Fn, fn, index_of, path_of

from async_migrate import decide as decide_module
from async_migrate.catalog import Catalog
from async_migrate.config import find_config, load_settings
from async_migrate.decide import decide
from async_migrate.facts import CallFact, ExternalCallee, FunctionFact
from async_migrate.index import build_index
from async_migrate.plan import AwaitCall, Edit, MakeAsync, Plan, Verdict
from async_migrate.rules import Rule
from async_migrate.runner import migrate
from async_migrate.source import read_source
from async_migrate.swaps.base import Group, Planned, Project, Swap, Weight
from async_migrate.swaps.http.edits import CatchAlso
from async_migrate.swaps.registry import SWAPS, default_options
from async_migrate.swaps.run import SwapRun
from async_migrate.swaps.threadpool.edits import WrapCall

HEADER = "from fastapi import Depends, FastAPI\napp = FastAPI()\n"
ROOT = Path(__file__).parent.parent


def plan_for(
    tmp_path: Path,
    files: dict[str, str],
    *,
    reverse: bool = False,
    frozen: tuple[str, ...] = (),
    convert_threadpool_only: bool = False,
) -> Plan:
    paths = []
    for name, code in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
        paths.append(path)
    sources = [read_source(path) for path in (reversed(paths) if reverse else paths)]
    catalog = Catalog()
    return decide(
        build_index(sources, catalog),
        catalog,
        frozenset(tmp_path / name for name in frozen),
        convert_threadpool_only=convert_threadpool_only,
    )


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
    plan = plan_for(tmp_path, files, convert_threadpool_only=True)
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
    plan = plan_for(tmp_path, {"app.py": code}, convert_threadpool_only=True)
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


# -- HTTP translation: the except clauses that see a call's errors decide whether it translates --

HTTP_HEADER = HEADER + "import json\nimport requests\n"


def _http_rules(plan: Plan, name: str) -> dict[Rule, str]:
    (decision,) = [d for d in plan.decisions if d.name == name]
    return {
        f.rule: f.message for f in decision.findings if f.rule in {Rule.HTTP_CLIENT, Rule.HTTP_THREADPOOL}
    }


def test_request_exception_around_json_needs_no_decode_error_of_its_own(tmp_path: Path) -> None:
    # r.json() is decoded by requests itself, so its error is still a RequestException
    code = HTTP_HEADER + (
        "@app.get('/')\ndef root():\n    try:\n        r = requests.get('http://h/', timeout=1)\n"
        "        return r.json()\n    except requests.RequestException:\n        return None\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    (catch,) = [e for e in plan.edits[tmp_path / "app.py"] if isinstance(e, CatchAlso)]
    assert catch.also == ("httpx.HTTPError", "httpx.InvalidURL")


def test_other_json_decoders_in_the_try_start_catching_nothing_new(tmp_path: Path) -> None:
    code = HTTP_HEADER + (
        "@app.get('/')\ndef root(raw: str):\n    try:\n        extra = json.loads(raw)\n"
        "        r = requests.get('http://h/', timeout=1)\n        return r.json(), extra\n"
        "    except requests.RequestException:\n        return None\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert Rule.HTTP_CLIENT in _http_rules(plan, "root")
    (catch,) = [e for e in plan.edits[tmp_path / "app.py"] if isinstance(e, CatchAlso)]
    assert "json.JSONDecodeError" not in catch.also


def test_a_value_error_clause_around_json_alone_needs_nothing(tmp_path: Path) -> None:
    code = HTTP_HEADER + (
        "@app.get('/')\ndef root():\n    r = requests.get('http://h/', timeout=1)\n    try:\n"
        "        return r.json()\n    except ValueError:\n        return None\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert Rule.HTTP_CLIENT in _http_rules(plan, "root")
    assert not [e for e in plan.edits[tmp_path / "app.py"] if isinstance(e, CatchAlso)]


def test_an_except_clause_in_a_file_not_rewritten_keeps_the_call_on_requests(tmp_path: Path) -> None:
    files = {
        "client.py": "import requests\nasync def fetch():\n"
        "    return requests.get('http://h/', timeout=1).status_code\n",
        "app.py": HTTP_HEADER + "from client import fetch\n@app.get('/')\nasync def root():\n"
        "    try:\n        return await fetch()\n    except requests.ConnectionError:\n        return 502\n",
    }
    plan = plan_for(tmp_path, files, frozen=("app.py",))
    assert verdicts(plan)["fetch"] is Verdict.FIXED
    assert "in a file not being rewritten" in _http_rules(plan, "fetch")[Rule.HTTP_THREADPOOL]


def test_an_endpoint_whose_every_blocking_call_needs_the_threadpool_stays_def(tmp_path: Path) -> None:
    code = (
        HEADER + "import os\n@app.get('/')\ndef root(d: str):\n    return os.path.exists(d), os.listdir(d)\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"root": Verdict.KEPT_SYNC}
    assert rules_of(plan, "root") == {Rule.NO_GAIN}
    assert plan.edits == {}
    converted = plan_for(tmp_path, {"app.py": code}, convert_threadpool_only=True)
    assert [type(e) for e in converted.edits[tmp_path / "app.py"]] == [MakeAsync, WrapCall, WrapCall]


def test_an_endpoint_without_blocking_calls_still_converts(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, {"app.py": HEADER + "@app.get('/')\ndef root():\n    return {'ok': True}\n"})
    assert verdicts(plan) == {"root": Verdict.CONVERTED}


CHAIN = 40


def chain_of_helpers(last: str) -> str:
    """An app whose endpoint calls h00(), which calls h01(), ... up to h39(), whose body is ``last``."""
    helpers = "".join(f"def h{i:02}():\n    return h{i + 1:02}()\n" for i in range(CHAIN - 1))
    route = "@app.get('/')\ndef root():\n    return h00()\n"
    return f"{HEADER}import time\n{helpers}def h{CHAIN - 1:02}():\n    {last}\n{route}"


def calls_to(monkeypatch: pytest.MonkeyPatch, name: str) -> list[object]:
    """The first argument of every call to ``decide``'s function ``name`` from now on."""
    seen: list[object] = []
    original = getattr(decide_module, name)

    def counting(first, *args):  # noqa: ANN001, ANN002, ANN202
        seen.append(first)
        return original(first, *args)

    monkeypatch.setattr(decide_module, name, counting)
    return seen


def test_a_chain_of_helpers_dropping_one_by_one_is_planned_in_linear_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # helpers come in name order: the last one is pure and drops out first, and only then can the
    # one before it; replanning every candidate each round would take about n * n / 2 plans here
    planned = calls_to(monkeypatch, "_plan_body")
    helpers = verdicts(plan_for(tmp_path, {"app.py": chain_of_helpers("return 1")}))
    del helpers["root"]
    assert helpers == {f"h{i:02}": Verdict.UNCHANGED for i in range(CHAIN)}
    assert len(planned) <= 3 * CHAIN, len(planned)


def test_what_a_chain_of_helpers_reaches_is_found_in_linear_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the blocking call is at the end of the chain: each helper learns of it after the next one
    path = tmp_path / "app.py"
    path.write_text(chain_of_helpers("time.sleep(1)"))
    catalog = Catalog()
    index = build_index([read_source(path)], catalog)
    read = calls_to(monkeypatch, "_call_status")
    swaps = SwapRun(Project(index, catalog, frozenset(), default_options()), SWAPS)
    statuses = decide_module._helper_statuses(index, catalog, swaps)
    assert statuses["app.h00"].weight is Weight.BLOCKING
    assert statuses["app.h00"].witness == " -> ".join(
        [*(f"h{i:02}()" for i in range(1, CHAIN)), "time.sleep()"]
    )
    assert len(read) <= 3 * CHAIN, len(read)


def until_stable_every_round(order, alive, update, dependents) -> None:  # noqa: ANN001
    """The fixpoint as it was first written: every function updated in every round."""
    changed = True
    while changed:
        changed = False
        for qualname in order:
            if alive(qualname) and update(qualname):
                changed = True


def planned(path: Path) -> str:
    """Every decision and edit the tool plans for ``path``, as text."""
    result = migrate([path], load_settings(find_config(path)), rewrite=False)
    edits = sorted((str(changed), repr(found)) for changed, found in result.plan.edits.items())
    return repr(result.plan.decisions) + repr(edits)


CORPUS = [*sorted(Path(__file__).parent.joinpath("fixtures").iterdir()), ROOT / "examples" / "legacy_service"]


@pytest.mark.parametrize("case", CORPUS, ids=lambda path: path.name)
def test_updating_only_what_changed_plans_as_updating_everything_every_round(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / case.name  # on its own: inside this repository, the whole repository is context
    shutil.copytree(case, path)
    plan = planned(path)
    monkeypatch.setattr(decide_module, "_until_stable", until_stable_every_round)
    assert planned(path) == plan


def test_a_callee_is_planned_again_when_its_caller_drops_out_after_it(tmp_path: Path) -> None:
    # a_helper is planned first, while z_route still converts and will await it; then z_route
    # drops out (mystery() may block) and a_helper, called by a sync function now, must stay sync
    code = HEADER + (
        "import time\nfrom other import mystery\n"
        "def a_helper():\n    time.sleep(1)\n"
        "@app.get('/')\ndef z_route():\n    mystery()\n    return a_helper()\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"a_helper": Verdict.KEPT_SYNC, "z_route": Verdict.KEPT_SYNC}
    assert Rule.SYNC_CALLER in rules_of(plan, "a_helper")


def _findings(plan: Plan, name: str) -> list[tuple[Rule, str]]:
    (decision,) = [d for d in plan.decisions if d.qualname.endswith("." + name)]
    return [(finding.rule, finding.message) for finding in decision.findings]


def test_a_call_through_a_framework_held_object_names_the_call_and_its_holder(tmp_path: Path) -> None:
    code = HEADER + (
        "from fastapi import Request\n"
        "@app.get('/')\ndef rows(request: Request):\n"
        "    return request.app.state.db.execute('select 1')\n"
        "@app.get('/url')\ndef url(request: Request):\n"
        "    return {'path': request.url.path, 'root': request.scope.get('root_path')}\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan)["rows"] is Verdict.KEPT_SYNC
    ((rule, message),) = _findings(plan, "rows")
    assert rule is Rule.UNKNOWN_CALL
    assert message.startswith("request.app.state.db.execute(): ")
    assert "keeps on request.app" in message
    assert verdicts(plan)["url"] is Verdict.CONVERTED  # the framework's own attributes stay known


def test_an_existing_async_def_gets_no_await_inside_a_thread_lock(tmp_path: Path) -> None:
    code = HEADER + (
        "import threading, time\n_lock = threading.Lock()\n"
        "@app.get('/')\nasync def locked():\n    with _lock:\n        time.sleep(0.1)\n"
        "@app.get('/unknown')\nasync def held(thing=Depends(object)):\n"
        "    with thing:\n        time.sleep(0.1)\n"
        "@app.get('/after')\nasync def after():\n"
        "    with _lock:\n        pass\n    time.sleep(0.1)\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"locked": Verdict.UNCHANGED, "held": Verdict.UNCHANGED, "after": Verdict.FIXED}
    (edits,) = plan.edits.values()
    assert [edit.span.line for edit in edits] == [code.count("\n")]  # only the sleep after the block
    assert Rule.THREAD_LOCK in rules_of(plan, "locked")
    held = _findings(plan, "held")
    # the await it would add is the blocker; the unknown __enter__ itself is the author's choice
    assert [rule for rule, _ in held] == [Rule.THREAD_LOCK, Rule.UNCHECKED_IN_ASYNC]
    assert "inside 'with thing'" in held[0][1]


ORM_MODELS = (
    "from sqlalchemy.orm import DeclarativeBase, relationship\n"
    "class Base(DeclarativeBase):\n    pass\n"
    "class Owner(Base):\n    __tablename__ = 'owners'\n"
    "class Pet(Base):\n    __tablename__ = 'pets'\n"
    "    owner = relationship('models.Owner', backref='pets')\n"
)


@pytest.mark.parametrize(
    ("body", "verdict"),
    [
        ("return len(owner.pets)", Verdict.KEPT_SYNC),  # a backref named by a dotted string
        ("owner.pets = []", Verdict.KEPT_SYNC),  # replacing a collection loads the old one
        ("return await run_in_threadpool(lambda: len(owner.pets))", Verdict.UNCHANGED),  # off the loop
        ("return owner.name", Verdict.CONVERTED),  # not a relationship
    ],
)
def test_relationship_reads_keep_a_function_sync(tmp_path: Path, body: str, verdict: Verdict) -> None:
    code = HEADER + (
        "from fastapi.concurrency import run_in_threadpool\nfrom models import Owner\n"
        "def get_owner() -> Owner:\n    return Owner()\n"
        f"@app.get('/')\n{'async ' if 'await' in body else ''}def pets(owner: Owner = Depends(get_owner)):\n"
        f"    {body}\n"
    )
    plan = plan_for(tmp_path, {"models.py": ORM_MODELS, "app.py": code})
    assert verdicts(plan)["pets"] is verdict
    assert (Rule.ORM_LAZY_LOAD in rules_of(plan, "pets")) is (verdict is Verdict.KEPT_SYNC)


@pytest.mark.parametrize(
    ("model", "verdict"),
    [
        ("response_model=None", Verdict.CONVERTED),  # FastAPI validates nothing
        ("response_model=OwnerName", Verdict.CONVERTED),  # no field named like a relationship
        ("response_model=list[OwnerWithPets]", Verdict.KEPT_SYNC),
        ("response_model=vendor.Schema", Verdict.KEPT_SYNC),  # fields unknown: may read them
    ],
)
def test_a_response_model_reading_relationships_keeps_the_route_sync(
    tmp_path: Path, model: str, verdict: Verdict
) -> None:
    code = HEADER + (
        "import vendor\nfrom pydantic import BaseModel\nfrom models import Owner\n"
        "class OwnerName(BaseModel):\n    name: str\n"
        "class OwnerWithPets(OwnerName):\n    pets: list[dict]\n"
        "def get_owner() -> Owner:\n    return Owner()\n"
        f"@app.get('/', {model})\ndef owner(owner: Owner = Depends(get_owner)):\n    return owner\n"
    )
    plan = plan_for(tmp_path, {"models.py": ORM_MODELS, "app.py": code})
    assert verdicts(plan)["owner"] is verdict


@pytest.mark.parametrize(
    ("body", "verdict"),
    [
        # a function's own imports resolve as a module's do
        ("import time as clock\n    clock.sleep(1)", Verdict.CONVERTED),
        ("from time import sleep\n    sleep(1)", Verdict.CONVERTED),
        # a name the function also binds otherwise is not the import
        ("import time as clock\n    clock = vendor.Clock()\n    clock.sleep(1)", Verdict.KEPT_SYNC),
        # loguru logs as the logging module does; adding a sink opens a file
        ("logger.bind(a=1).info('x')\n    time.sleep(1)", Verdict.CONVERTED),
        ("logger.add('app.log')\n    time.sleep(1)", Verdict.CONVERTED),
        ("logger.add('app.log')", Verdict.KEPT_SYNC),
        # one-time I/O (mimetypes' tables) is safe; a zone's file is read while it is not cached
        ("return mimetypes.guess_type('a.png')", Verdict.CONVERTED),
        ("mimetypes.init()", Verdict.KEPT_SYNC),
        ("return ZoneInfo('UTC')", Verdict.KEPT_SYNC),
        # json reads the file object it is given
        ("return json.load(open_upload())", Verdict.KEPT_SYNC),
        # the type of a value is evident when each value it may hold is plain
        ("name = other if flag else ''\n    return name.upper()", Verdict.KEPT_SYNC),  # other: unknown
        ("name = None\n    if flag:\n        name = 'a'\n    return (name or '').upper()", Verdict.CONVERTED),
        (
            "parts = None\n    if flag:\n        parts = 'a-b'.split('-')\n    words = parts or []\n"
            "    words.append('c')",
            Verdict.CONVERTED,
        ),
    ],
)
def test_the_catalog_and_the_index_tell_what_blocks(tmp_path: Path, body: str, verdict: Verdict) -> None:
    code = HEADER + (
        "import io\nimport json\nimport mimetypes\nimport time\nimport vendor\n"
        "from zoneinfo import ZoneInfo\nfrom loguru import logger\n"
        "def open_upload():\n    return io.BytesIO(b'{}')\n"
        f"@app.get('/')\ndef route(flag: bool = False, other=None):\n    {body}\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan)["route"] is verdict


def test_a_caller_importing_the_function_itself_is_a_caller(tmp_path: Path) -> None:
    code = HEADER + "import time\n@app.get('/')\ndef route():\n    time.sleep(1)\n"
    test = "def test_route():\n    from app import route\n    assert route() is None\n"
    plan = plan_for(tmp_path, {"app.py": code, "test_app.py": test})
    assert verdicts(plan)["route"] is Verdict.KEPT_SYNC
    assert rules_of(plan, "route") == {Rule.SYNC_CALLER}


@pytest.mark.parametrize(
    "models",
    [
        "Items = RootModel[list[Item]]\n",  # a module variable naming a generic pydantic model
        "class Page(BaseModel, Generic[T]):\n    items: list[T]\nItems = Page[Item]\n",  # a project generic
    ],
)
def test_pydantic_models_of_the_project_validate_without_blocking(tmp_path: Path, models: str) -> None:
    code = HEADER + (
        "import time\nfrom typing import Generic, TypeVar\nfrom pydantic import BaseModel, RootModel\n"
        "T = TypeVar('T')\nclass Item(BaseModel):\n    name: str\n"
        f"{models}"
        "@app.post('/')\ndef route(payload: list[dict]):\n    time.sleep(1)\n"
        "    return Items.model_validate(payload).model_dump()\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan)["route"] is Verdict.CONVERTED


def test_sql_expression_builders_run_nothing(tmp_path: Path) -> None:
    code = HEADER + (
        "from sqlalchemy import func as safunc\n"
        "from sqlmodel import Field, SQLModel, and_, col, desc, func, select, text, true\n"
        "class Hero(SQLModel, table=True):\n"
        "    id: int | None = Field(default=None, primary_key=True)\n"
        "@app.get('/sql')\n"
        "def sql():\n"
        "    count = func.count(col(Hero.id)).label('n')\n"
        "    query = select(count, safunc.pg_sleep(0.05)).where(and_(true(), text('1 = 1')))\n"
        "    return str(query.order_by(desc(col(Hero.id))))\n"
    )
    plan = plan_for(tmp_path, {"app.py": code})
    assert verdicts(plan) == {"sql": Verdict.CONVERTED}


# -- decide's rules on facts built by hand (tests/facts_builder.py): no source, no index --------


def decided(functions: dict[str, Fn], called_at_module_level: tuple[str, ...] = (), **options) -> Plan:  # noqa: ANN003
    return decide(index_of(functions, called_at_module_level), Catalog(), **options)


def test_facts_a_converted_helper_is_awaited_by_its_converted_caller() -> None:
    plan = decided({"app.route": fn("app.helper", entry="route"), "app.helper": fn("time.sleep")})
    assert verdicts(plan) == {"route": Verdict.CONVERTED, "helper": Verdict.CONVERTED}
    route = index_of({"app.route": fn("app.helper", entry="route"), "app.helper": fn("time.sleep")})
    call = route.functions["app.route"].calls[0]
    assert AwaitCall(Rule.AWAIT_CALL, path_of("app.route"), call.span) in plan.edits[path_of("app.route")]


def test_facts_a_helper_dropping_out_drops_its_callers_that_gain_nothing_then() -> None:
    functions = {
        "app.route": fn("app.middle", entry="route"),
        "app.middle": fn("app.helper"),
        "app.helper": fn("time.sleep"),
    }
    assert set(verdicts(decided(functions)).values()) == {Verdict.CONVERTED}
    # module-level code calls the helper, so it stays sync; each caller then only waits for a sync
    # blocking helper in the threadpool, which gains nothing: the drop goes up the chain
    plan = decided(functions, called_at_module_level=("app.helper",))
    assert verdicts(plan) == dict.fromkeys(("route", "middle", "helper"), Verdict.KEPT_SYNC)
    assert rules_of(plan, "helper") == {Rule.SYNC_CALLER}
    assert Rule.NO_GAIN in rules_of(plan, "middle") and Rule.NO_GAIN in rules_of(plan, "route")
    assert not plan.edits


def test_facts_a_blocking_call_is_wrapped_in_a_function_that_converts_for_another_gain() -> None:
    facts = index_of({"app.route": fn("time.sleep", "os.listdir", entry="route")})
    plan = decide(facts, Catalog())
    assert verdicts(plan) == {"route": Verdict.CONVERTED}
    listdir = facts.functions["app.route"].calls[1]
    path = path_of("app.route")
    assert WrapCall(Rule.THREADPOOL_CALL, path, listdir.span, False) in plan.edits[path]
    # where await can't go, the same call keeps the route sync
    blocked = decided({"app.route": fn("time.sleep", Call("os.listdir", awaitable=False), entry="route")})
    assert verdicts(blocked) == {"route": Verdict.KEPT_SYNC}
    assert rules_of(blocked, "route") == {Rule.NOT_AWAITABLE_HERE}


def test_facts_a_blocking_helper_is_awaited_in_the_threadpool_by_the_threadpool_swap() -> None:
    functions = {"app.route": fn("time.sleep", "app.helper", entry="route"), "app.helper": fn("os.listdir")}
    facts = index_of(functions)
    plan = decide(facts, Catalog())
    assert verdicts(plan) == {"route": Verdict.CONVERTED, "helper": Verdict.KEPT_SYNC}
    helper_call = facts.functions["app.route"].calls[1]
    path = path_of("app.route")
    assert WrapCall(Rule.THREADPOOL_CALL, path, helper_call.span, False) in plan.edits[path]
    # without the threadpool swap, nothing says what a library call makes of a helper: unknown
    without = tuple(swap for swap in SWAPS if swap.name != "threadpool")
    unknown = decide(facts, Catalog(), swaps=without)
    assert verdicts(unknown)["route"] is Verdict.KEPT_SYNC
    assert rules_of(unknown, "route") == {Rule.UNKNOWN_CALL}


def test_facts_an_unknown_call_keeps_a_function_and_the_helpers_reaching_it_sync() -> None:
    plan = decided(
        {
            "app.route": fn("time.sleep", "app.helper", entry="route"),
            "app.helper": fn("?a value of unknown type"),
        }
    )
    assert verdicts(plan) == {"route": Verdict.KEPT_SYNC, "helper": Verdict.KEPT_SYNC}
    assert rules_of(plan, "helper") == {Rule.UNKNOWN_CALL}
    (finding,) = [f for d in plan.decisions if d.name == "route" for f in d.findings]
    assert finding.rule is Rule.UNKNOWN_CALL
    reaches = "helper() reaches value.method() (a value of unknown type): not safe to move off this thread"
    assert finding.message == reaches
    # in existing async code an unknown call is the author's choice, noted
    tolerant = decided({"app.route": fn("?unknown", entry="route", is_async=True)})
    assert rules_of(tolerant, "route") == {Rule.UNCHECKED_IN_ASYNC}


@dataclass(frozen=True)
class _AwaitQuery(Edit):
    gain = True
    awaits = True

    @property
    def message(self) -> str:
        return "query awaited"


class _GroupSwap(Swap):
    """``db.query()`` is awaited, all its callers together or none of them."""

    name = "fake-group"

    def plan_call(self, state: object, fact: FunctionFact, call: CallFact) -> Planned | None:
        if call.callee != ExternalCallee("db.query"):
            return None
        return Planned((_AwaitQuery(Rule.AWAIT_CALL, fact.path, call.span),), group="db")

    def groups(self, state: object) -> Iterable[Group]:
        yield Group("db")  # its members are the functions whose calls it planned


def test_facts_a_group_with_a_member_kept_sync_is_off_for_every_member() -> None:
    functions = {"app.reads": fn("db.query", entry="route"), "app.writes": fn("db.query", entry="route")}
    on = decided(functions, swaps=(_GroupSwap(), *SWAPS))
    assert verdicts(on) == {"reads": Verdict.CONVERTED, "writes": Verdict.CONVERTED}
    # an unknown call keeps one member sync: the group is off, and the other one's query is a
    # library call no swap takes now (not in the catalog)
    functions["app.writes"] = fn("db.query", "?unknown", entry="route")
    off = decided(functions, swaps=(_GroupSwap(), *SWAPS))
    assert verdicts(off) == {"reads": Verdict.KEPT_SYNC, "writes": Verdict.KEPT_SYNC}
    assert rules_of(off, "reads") == {Rule.UNKNOWN_CALL}
    assert not off.edits
