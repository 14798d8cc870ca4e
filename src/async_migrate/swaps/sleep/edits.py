"""The sleep swap's edit."""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import ImportBinding
from ...plan import Edit


@dataclass(frozen=True)
class AsyncSleep(Edit):
    gain = True
    awaits = True
    drops_import = True

    library: str
    """``asyncio`` or ``anyio``."""
    unused_import: ImportBinding | None
    """The import of ``time``/``sleep`` this rewrite leaves unused, to remove."""

    @property
    def message(self) -> str:
        return "time.sleep becomes an async sleep"
