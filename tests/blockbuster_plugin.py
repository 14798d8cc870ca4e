"""pytest plugin: run a whole pytest session with blockbuster active.

Loaded by ``tests/test_example_service.py`` into the subprocess that runs the example service's
own suite: ``python -m pytest <copy>/tests -p blockbuster_plugin`` with this directory on
PYTHONPATH. ``tests/legacy_service_driver.py`` uses :func:`active_blockbuster` the same way.

How blockbuster decides (1.5.x): it wraps ~60 blocking functions (``time.sleep``, ``os.stat``
and friends, file ``read``/``write``, blocking socket and ssl calls, ``sqlite3``, contended
``Lock.acquire``, ``input``) and a wrapper raises ``BlockingError`` only when the calling thread
has a *running asyncio loop*. With FastAPI's TestClient the app runs on an anyio blocking
portal, i.e. an event loop in a separate thread: ``async def`` endpoints and async dependencies
execute on that thread and are checked, while ``def`` endpoints, sync dependencies and
``run_in_threadpool`` calls run in worker threads without a loop and pass. The test functions
and fixtures themselves run in the main thread, which has no running loop, so the tests' own
file writes, ``tmp_path``, subprocesses and the loopback upstream server are never flagged.

Exclusions: none. Every function blockbuster knows is active, ``scanned_modules`` is left at
None (a blocking call counts wherever it comes from) and only blockbuster's built-in allow-list
applies (importlib's ``_find_and_load``/``get_data``, pytest's assertion rewriter, coverage,
pydevd, asyncio internals). The example's suite passes under it without any extra exclusion;
if one is ever needed, add it here narrowly (``bb.functions[name].can_block_in(file, func)``)
with a comment saying what was flagged and why it is not the app's fault.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from blockbuster import BlockBuster, BlockingError, blockbuster_ctx

PROPERTY = "blockbuster"


async def _sleep_on_the_loop() -> bool:
    try:
        time.sleep(0)
    except BlockingError:
        return True
    return False


@contextmanager
def active_blockbuster() -> Iterator[BlockBuster]:
    """blockbuster_ctx(), plus a check that it really is armed in this process."""
    with blockbuster_ctx() as bb:
        inactive = sorted(name for name, func in bb.functions.items() if not func.activated)
        if inactive:  # e.g. forbiddenfruit missing: the C-type methods would silently stay unwrapped
            raise RuntimeError(f"blockbuster could not wrap: {', '.join(inactive)}")
        # probe: a blocking call on a running loop must raise (this thread has no loop yet)
        if not asyncio.run(_sleep_on_the_loop()):
            raise RuntimeError("blockbuster is active but time.sleep on the event loop did not raise")
        yield bb


@pytest.fixture(scope="session", autouse=True)
def _blockbuster_session(record_testsuite_property) -> Iterator[BlockBuster]:
    with active_blockbuster() as bb:
        # lets the caller check (in the --junitxml report) that this session really ran under it
        record_testsuite_property(PROPERTY, f"active: {len(bb.functions)} functions")
        yield bb


@pytest.fixture(autouse=True)
def _blockbuster_still_active(_blockbuster_session: BlockBuster) -> None:
    # a test that monkeypatches one of the wrapped functions away would silently disarm it
    disarmed = sorted(
        name
        for name, func in _blockbuster_session.functions.items()
        if getattr(func.module, func.func_name) is func.original_func
    )
    assert not disarmed, f"blockbuster wrappers replaced during the session: {disarmed}"


def pytest_report_header(config: pytest.Config) -> str:
    return "blockbuster: active for the whole session (raises on the event-loop thread only)"
