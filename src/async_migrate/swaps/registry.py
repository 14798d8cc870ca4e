"""The registered swaps, in the order ``decide`` asks them whether they take a call, and the
codemod of every edit type (the swaps' and the core's)."""

from __future__ import annotations

import functools

from ..plan import AwaitCall, Edit, MakeAsync
from .async_twin.swap import SWAP as ASYNC_TWIN
from .base import Codemod, Setting, Swap
from .http.swap import SWAP as HTTP
from .sleep.swap import SWAP as SLEEP
from .sqlalchemy.swap import SWAP as DATABASE
from .threadpool.swap import SWAP as THREADPOOL

SWAPS: tuple[Swap, ...] = (HTTP, SLEEP, ASYNC_TWIN, DATABASE, THREADPOOL)
"""Planning order: the first swap that takes a call plans it. HTTP comes first (a translated call
stays translated whatever the catalog says of it); the threadpool swap, which answers for every
library call left, comes last (and takes a database call as unknown when its group is off)."""


@functools.cache
def codemods() -> dict[type[Edit], Codemod]:
    """Every edit type's codemod: the core's (``MakeAsync``, ``AwaitCall``) and each swap's,
    loaded on the first rewrite (a run that stops at the plan never imports libcst)."""
    from ..codemods.await_call import await_call
    from ..codemods.make_async import make_async

    found: dict[type[Edit], Codemod] = {MakeAsync: make_async, AwaitCall: await_call}
    for swap in SWAPS:
        for kind, codemod in swap.codemods().items():
            if kind in found:
                raise ValueError(f"{kind.__name__} has two codemods (the second from {swap.name})")
            found[kind] = codemod
    return found


def codemod_for(kind: type[Edit]) -> Codemod:
    """The codemod that applies edits of type ``kind``, whatever node they are anchored to."""
    return codemods()[kind]


SETTINGS: tuple[Setting, ...] = tuple(setting for swap in SWAPS for setting in swap.settings)
"""Every swap's option: a config key, a CLI flag, its choices and default."""


def default_options() -> dict[str, str]:
    return {setting.key: setting.default for setting in SETTINGS}
