"""The edits of the sqlalchemy swap, each applied by its codemod in ``codemods``."""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import ImportBinding
from ...plan import Anchor, Edit


@dataclass(frozen=True)
class AwaitDatabase(Edit):
    """``session.commit()`` -> ``await session.commit()``."""

    gain = True
    awaits = True

    @property
    def message(self) -> str:
        return "database call awaited on the AsyncSession"


@dataclass(frozen=True)
class AsyncSessionWith(Edit):
    """``with Session(engine) as session:`` -> ``async with ...`` (the class is renamed apart)."""

    gain = True
    awaits = True

    @property
    def anchor(self) -> Anchor:
        return "statement"

    @property
    def message(self) -> str:
        return "the session is opened with async with"


@dataclass(frozen=True)
class CreateAllAsync(Edit):
    """``metadata.create_all(engine)`` -> ``async with engine.begin() as conn: await
    conn.run_sync(metadata.create_all)``: the DDL runs on the async engine's connection."""

    gain = True
    awaits = True

    connection: str
    """A name free in the function for the connection."""

    @property
    def anchor(self) -> Anchor:
        return "statement"

    @property
    def message(self) -> str:
        return "metadata.create_all runs through run_sync on the async engine"


@dataclass(frozen=True)
class RefreshAfterCommit(Edit):
    """``await session.refresh(obj)`` before the statement that first reads ``obj`` after a
    commit expired it: the query the sync session ran lazily on that read."""

    awaits = True

    session: str
    names: tuple[str, ...]

    @property
    def anchor(self) -> Anchor:
        return "statement"

    @property
    def message(self) -> str:
        return (
            f"{', '.join(self.names)} refreshed after commit, as the sync session reloaded it on first read"
        )


@dataclass(frozen=True)
class AsyncSessionName(Edit):
    """A use of the sync session class (an annotation, an ``Annotated`` alias, a construction)
    names the ``AsyncSession`` instead."""

    reported = False
    drops_import = True

    module: str
    """Where ``AsyncSession`` is imported from."""
    unused_import: ImportBinding | None = None

    @property
    def anchor(self) -> Anchor:
        return "expression"


@dataclass(frozen=True)
class AsyncEngine(Edit):
    """``create_engine(url, ...)`` -> ``create_async_engine(url, ...)``; a URL that is not a
    literal here is passed through ``make_url(url).set(drivername=...)``."""

    drops_import = True

    drivername: str
    package: str
    """The async driver's distribution, which the project must add."""
    wrap_url: bool
    """The URL argument is an expression: its drivername is set at run time."""
    unused_import: ImportBinding | None = None

    @property
    def requires(self) -> tuple[str, ...]:
        # SQLAlchemy's asyncio extension runs on greenlet, which SQLAlchemy 2.1 installs only with
        # its ``asyncio`` extra
        return (self.package, "greenlet")

    @property
    def message(self) -> str:
        return f"create_engine becomes create_async_engine ({self.drivername})"


@dataclass(frozen=True)
class AsyncSessionFactory(Edit):
    """``sessionmaker(bind=engine, ...)`` -> ``async_sessionmaker(bind=engine, ...)``: the same
    arguments, which ``async_sessionmaker`` hands to ``AsyncSession`` and on to its ``Session``."""

    drops_import = True

    unused_import: ImportBinding | None = None

    @property
    def message(self) -> str:
        return "sessionmaker becomes async_sessionmaker"


@dataclass(frozen=True)
class AsyncUrl(Edit):
    """A literal database URL (``"sqlite:///db"``, ``f"sqlite:///{name}"``) names the async driver."""

    reported = False

    drivername: str

    @property
    def anchor(self) -> Anchor:
        return "expression"
