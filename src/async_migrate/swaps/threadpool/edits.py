"""The threadpool swap's edits."""

from __future__ import annotations

from dataclasses import dataclass

from ...plan import Anchor, Edit


@dataclass(frozen=True)
class WrapCall(Edit):
    awaits = True

    as_lambda: bool
    """Wrap as ``run_in_threadpool(lambda: call)`` when ``fn, *args, **kwargs`` can't be used
    (a ``func=`` keyword, a ``**mapping``, a call on a call's result)."""
    why: str = ""
    """For an HTTP call that could have been translated: what kept it as it is."""

    @property
    def missed_gain(self) -> bool:
        return bool(self.why)

    @property
    def message(self) -> str:
        if self.why:
            return f"HTTP call moved to the threadpool as it is: {self.why}"
        return "blocking call moved to the threadpool"


@dataclass(frozen=True)
class WrapBlock(Edit):
    awaits = True

    @property
    def anchor(self) -> Anchor:
        return "statement"

    helper: str
    returns: tuple[str, ...]
    nonlocals: tuple[str, ...]
    globals: tuple[str, ...]
    has_return: bool

    @property
    def message(self) -> str:
        return "with block moved to the threadpool"
