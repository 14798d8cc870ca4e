"""The SQLAlchemy and SQLModel names the swap knows, as catalog rows added by ``--db-session async``.

Each row is ``Treatment.DB``: the planner asks ``kind_of`` what the call is. A session's I/O
methods are awaited on the ``AsyncSession``; ``add``, ``add_all`` and ``expunge`` stay plain calls
there. The results of an awaited ``execute``/``exec`` are buffered (``AsyncSession`` executes
with ``prebuffer_rows``; sqlmodel's ``exec`` too), so reading them (``.all()``, ``.first()``)
does no I/O: they are typed here so that those reads are known to be safe.
"""

from __future__ import annotations

from typing import Literal

from ...catalog import INSTANCE_OF_FIRST_ARGUMENT, Entry, Treatment

SESSION_CLASSES = {
    "sqlmodel.Session": "sqlmodel",
    "sqlmodel.orm.session.Session": "sqlmodel",
    "sqlalchemy.orm.Session": "sqlalchemy",
    "sqlalchemy.orm.session.Session": "sqlalchemy",
}
"""Sync session classes -> the library whose ``AsyncSession`` replaces them."""
ASYNC_SESSIONS = {
    "sqlmodel": ("sqlmodel.ext.asyncio.session", "AsyncSession"),
    "sqlalchemy": ("sqlalchemy.ext.asyncio", "AsyncSession"),
}
"""sqlmodel's own ``AsyncSession`` keeps ``exec``."""
ENGINE_FACTORIES = frozenset(
    {"sqlmodel.create_engine", "sqlalchemy.create_engine", "sqlalchemy.engine.create_engine"}
)
ENGINE = "sqlalchemy.engine.Engine"
SESSION_FACTORIES = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker"})
FACTORY = "sqlalchemy.orm.sessionmaker"
"""The type of a ``sessionmaker(...)``: calling it makes a ``sqlalchemy.orm.Session``."""
CREATE_ALL = frozenset({"sqlmodel.SQLModel.metadata.create_all", "sqlalchemy.MetaData.create_all"})
AWAITED = (
    "execute",
    "scalars",
    "scalar",
    "get",
    "exec",
    "commit",
    "rollback",
    "refresh",
    "flush",
    "delete",
    "merge",
    "close",
    "run_sync",
)
PLAIN = ("add", "add_all", "expunge")
TAKES_INSTANCES = ("add", "add_all", "expunge", "delete", "merge", "refresh")
"""Session methods whose arguments are mapped instances (``get`` takes a class and a key)."""
LEGACY = ("query",)
RESULT = "sqlalchemy.engine.Result"
SCALAR_RESULT = "sqlalchemy.engine.ScalarResult"
_RESULT_READS = ("all", "first", "one", "one_or_none", "fetchall", "fetchone", "fetchmany", "partitions")
_RESULT_VALUES = ("scalar", "scalar_one", "scalar_one_or_none")
_RETURNS = {
    "execute": RESULT,
    "exec": SCALAR_RESULT,
    "scalars": SCALAR_RESULT,
    "get": INSTANCE_OF_FIRST_ARGUMENT,
}

MODEL_BASES = ("sqlmodel.SQLModel", "sqlalchemy.orm.DeclarativeBase")
"""Making an instance of a mapped class validates and sets attributes: no I/O."""

Kind = Literal["construct", "await", "plain", "legacy", "create_all", "engine", "factory"]


def kind_of(qualname: str) -> Kind | None:
    """What a call of ``qualname`` is to the swap; ``None`` when it is none of its business."""
    if qualname in SESSION_CLASSES or qualname == f"{FACTORY}.__call__":
        return "construct"
    if qualname in SESSION_FACTORIES:
        return "factory"
    if qualname in ENGINE_FACTORIES:
        return "engine"
    if qualname in CREATE_ALL or qualname.endswith(".metadata.create_all"):
        return "create_all"  # ``Base.metadata`` of a project's declarative base is a MetaData
    owner, _, method = qualname.rpartition(".")
    if owner not in SESSION_CLASSES:
        return None
    if method in AWAITED:
        return "await"
    if method in PLAIN:
        return "plain"
    if method in LEGACY:
        return "legacy"
    return None


def touches_database(qualname: str) -> bool:
    """A call on a session or an engine: the function making it belongs to the swap's group."""
    owner = qualname.rpartition(".")[0]
    return kind_of(qualname) is not None or owner in (*SESSION_CLASSES, ENGINE, FACTORY)


def catalog_rows() -> dict[str, Entry]:
    """The rows ``--db-session async`` adds to the catalog."""
    rows: dict[str, Entry] = {}
    for session in SESSION_CLASSES:
        rows[session] = Entry(Treatment.DB, returns=session)
        for method in (*AWAITED, *LEGACY):
            rows[f"{session}.{method}"] = Entry(Treatment.DB, returns=_RETURNS.get(method))
        for method in PLAIN:
            rows[f"{session}.{method}"] = Entry(Treatment.SAFE)
    for factory in ENGINE_FACTORIES:
        rows[factory] = Entry(Treatment.DB, returns=ENGINE)
    for factory in SESSION_FACTORIES:
        rows[factory] = Entry(Treatment.DB, returns=FACTORY)
    rows[f"{FACTORY}.__call__"] = Entry(Treatment.DB, returns="sqlalchemy.orm.Session")
    for name in CREATE_ALL:
        rows[name] = Entry(Treatment.DB)
    for result in (RESULT, SCALAR_RESULT):
        for method in _RESULT_READS:
            rows[f"{result}.{method}"] = Entry(Treatment.SAFE)
        for method in _RESULT_VALUES:
            rows[f"{result}.{method}"] = Entry(Treatment.SAFE)
        rows[f"{result}.unique"] = Entry(Treatment.SAFE, returns=result)
    for model in MODEL_BASES:
        rows[model] = Entry(Treatment.SAFE)
    rows[f"{RESULT}.scalars"] = Entry(Treatment.SAFE, returns=SCALAR_RESULT)
    rows[f"{RESULT}.mappings"] = Entry(Treatment.SAFE, returns=RESULT)
    return rows
