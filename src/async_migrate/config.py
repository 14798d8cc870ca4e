"""Settings from ``[tool.async-migrate]`` in ``pyproject.toml``, overridden by CLI flags.

Every key has a flag of the same name; a flag given on the command line wins over the file.
"""

from __future__ import annotations

import keyword
import os
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

import pathspec

from .catalog import Catalog, Entry, Treatment
from .source import read_regular
from .swaps.registry import SETTINGS, SWAPS

_SWAP_SETTINGS = {setting.field: setting for setting in SETTINGS}


class ConfigError(Exception):
    """A configuration problem, named with its file and key; the CLI exits with 2."""


@dataclass(frozen=True)
class Settings:
    include: tuple[str, ...] = ()
    """Gitignore-style patterns of the files to consider in folders (default: ``*.py``)."""
    exclude: tuple[str, ...] = ()
    """Gitignore-style patterns of files and folders to leave out, relative to the config file."""
    respect_gitignore: bool = True
    non_blocking: tuple[str, ...] = ()
    """Modules, functions or ``Type.method`` names known not to block."""
    blocking: tuple[str, ...] = ()
    """Functions or ``Type.method`` names that block: ``name`` (or ``name=threadpool``) moves
    their calls to the threadpool; ``name=twin`` awaits the exact async twin instead."""
    keep_sync: tuple[str, ...] = ()
    """Project functions to leave exactly as they are (qualified names; ``*`` globs allowed)."""
    convert_threadpool_only: bool = False
    """Also convert endpoints and dependencies whose every blocking call needs the threadpool
    (by default they stay ``def``: FastAPI runs them in the threadpool in one hop; AM210)."""
    http_client: str = _SWAP_SETTINGS["http_client"].default
    """The async client blocking HTTP calls are translated to (``httpx``, ``httpx2``,
    ``aiohttp``), or ``threadpool`` to keep them as they are, in the threadpool."""
    db_session: str = _SWAP_SETTINGS["db_session"].default
    """``async`` migrates sync SQLAlchemy/SQLModel sessions, their engine and every function using
    them to ``AsyncSession`` as a whole (``swaps/sqlalchemy``); ``sync`` keeps them as they are."""
    root: Path | None = field(default=None, compare=False)
    """The folder of the config file the settings came from, if any."""

    def catalog(self) -> Catalog:
        options = self.swap_options()
        extra = {name: row for swap in SWAPS for name, row in swap.catalog_rows(options).items()}
        for item in self.blocking:
            name, _, twin = item.partition("=")
            if twin in {"", "threadpool"}:
                extra[name.strip()] = Entry(Treatment.THREADPOOL)
            else:
                extra[name.strip()] = Entry(Treatment.ASYNC_TWIN, twin=twin.strip())
        return Catalog(extra_calls=extra, extra_safe=self.non_blocking)

    def swap_options(self) -> dict[str, str]:
        """The swaps' settings (``swaps.base.Setting``) by key, for ``decide``."""
        return {setting.key: getattr(self, setting.field) for setting in SETTINGS}


_KEYS = {f.name.replace("_", "-"): f.name for f in fields(Settings) if f.name != "root"}


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` above ``start`` that has a ``[tool.async-migrate]`` table."""
    folder = start.resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in [folder, *folder.parents]:
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _section(pyproject) is not None:
            return pyproject
    return None


def _section(path: Path) -> dict[str, Any] | None:
    """The ``[tool.async-migrate]`` table of ``path``, or None; TOML lets a file make ``tool``
    or ``tool.async-migrate`` any value, and anything but a table is a configuration error."""
    tool = _read_toml(path).get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool] must be a table, not {type(tool).__name__}")
    table = tool.get("async-migrate")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.async-migrate] must be a table, not {type(table).__name__}")
    return table


def _read_toml(path: Path) -> dict[str, Any]:
    """The TOML document at ``path``, a regular file (a FIFO would hang the run), or ``os.devnull``:
    ``--config /dev/null`` is how a run asks for no configuration."""
    if path == Path(os.devnull):
        return {}
    try:
        return tomllib.loads(read_regular(path).decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"{path}: cannot read configuration: {reason}") from exc


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    table = _section(path) or {}
    values: dict[str, Any] = {"root": path.parent}
    for key, value in table.items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.async-migrate] (known: {known})")
        name = _KEYS[key]
        if name in {"respect_gitignore", "convert_threadpool_only"}:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: [tool.async-migrate] {key} must be true or false")
            values[name] = value
        elif name in _SWAP_SETTINGS:
            choices = _SWAP_SETTINGS[name].choices
            if value not in choices:
                raise ConfigError(f"{path}: [tool.async-migrate] {key} must be one of {', '.join(choices)}")
            values[name] = value
        elif name == "blocking" and isinstance(value, dict):
            # {"mylib.fetch" = "mylib.afetch", "mylib.upload" = "threadpool"}
            if not all(isinstance(item, str) for item in value.values()):
                raise ConfigError(f"{path}: [tool.async-migrate] {key} values must be strings")
            values[name] = tuple(f"{call}={treatment}" for call, treatment in value.items())
        else:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ConfigError(f"{path}: [tool.async-migrate] {key} must be a list of strings")
            values[name] = tuple(value)
        check_values(name, values[name], f"{path}: [tool.async-migrate] {key}")
    return Settings(**values)


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    """Settings with the CLI flags that were given (not ``None``) taking precedence."""
    given = {name: value for name, value in overrides.items() if value is not None}
    for name, value in given.items():
        check_values(name, value, f"--{name.replace('_', '-')}")
    return replace(settings, **given)


def check_values(name: str, values: tuple[str, ...], where: str) -> None:
    """Refuse, as a configuration error, what would otherwise fail in the middle of a run: a
    pattern gitignore can't read, a blocking call or async twin that isn't a dotted name."""
    if name in {"include", "exclude"}:
        for pattern in values:
            try:
                pathspec.GitIgnoreSpec.from_lines([pattern])
            except ValueError:
                raise ConfigError(f"{where}: {pattern!r} is not a valid gitignore pattern") from None
    elif name == "blocking":
        for item in values:
            call, _, twin = (part.strip() for part in item.partition("="))
            if not _dotted(call):
                raise ConfigError(f"{where}: {call!r} is not a dotted name (module.function)")
            if twin not in {"", "threadpool"} and not (_dotted(twin) and "." in twin):
                raise ConfigError(
                    f"{where}: async twin {twin!r} of {call} must be a dotted name (module.function)"
                )


def _dotted(name: str) -> bool:
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in name.split("."))
