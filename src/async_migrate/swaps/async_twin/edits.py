"""The async-twin swap's edit."""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import ImportBinding
from ...plan import Edit


@dataclass(frozen=True)
class AsyncTwin(Edit):
    gain = True
    awaits = True
    drops_import = True

    original: str
    """Qualified name of the blocking function called now."""
    twin: str
    """Qualified name of the async function to await instead."""
    unused_import: ImportBinding | None

    @property
    def message(self) -> str:
        return "blocking call replaced by its async twin"
