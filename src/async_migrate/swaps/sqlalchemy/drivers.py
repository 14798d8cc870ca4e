"""Database URLs: the async driver of the same database, and the package that provides it.

Only the pairs whose async driver takes the same URL and the same ``connect_args`` are mapped:
aiosqlite hands its keyword arguments to ``sqlite3.connect`` (in its own thread, so
``check_same_thread`` keeps its meaning); asyncpg and aiomysql take other connection arguments
than psycopg2 and pymysql, so an engine with ``connect_args`` for those stays sync.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AsyncDriver:
    drivername: str
    package: str
    same_connect_args: bool
    """The sync driver's ``connect_args`` mean the same to the async one."""


ASYNC_DRIVERS = {
    "sqlite": AsyncDriver("sqlite+aiosqlite", "aiosqlite", True),
    "sqlite+pysqlite": AsyncDriver("sqlite+aiosqlite", "aiosqlite", True),
    "postgresql": AsyncDriver("postgresql+asyncpg", "asyncpg", False),
    "postgresql+psycopg2": AsyncDriver("postgresql+asyncpg", "asyncpg", False),
    "postgresql+psycopg": AsyncDriver("postgresql+psycopg", "psycopg", True),
    "mysql+pymysql": AsyncDriver("mysql+aiomysql", "aiomysql", False),
}
"""Sync drivername -> its async twin. psycopg 3 serves both, so its URL stays as it is."""


def scheme_of(url_start: str) -> str | None:
    """The drivername a URL (or the literal start of one) begins with: ``sqlite`` of ``sqlite:///x``."""
    scheme, sep, _ = url_start.partition("://")
    return scheme if sep else None


def async_driver(url_start: str) -> AsyncDriver | None:
    scheme = scheme_of(url_start)
    return ASYNC_DRIVERS.get(scheme) if scheme is not None else None


ENGINE_KEYWORDS = frozenset(
    {
        "echo",
        "echo_pool",
        "pool_size",
        "max_overflow",
        "pool_timeout",
        "pool_recycle",
        "pool_pre_ping",
        "pool_use_lifo",
        "pool_reset_on_return",
        "isolation_level",
        "execution_options",
        "future",
        "hide_parameters",
        "logging_name",
        "pool_logging_name",
        "json_serializer",
        "json_deserializer",
        "query_cache_size",
        "connect_args",
        "poolclass",
    }
)
"""``create_engine`` arguments ``create_async_engine`` takes with the same meaning (it passes them
to the same ``create_engine``; the pool of an async engine is ``AsyncAdaptedQueuePool`` unless
``poolclass`` says otherwise)."""
ASYNC_POOLS = frozenset({"StaticPool", "NullPool", "AsyncAdaptedQueuePool"})
"""Pool classes an async engine accepts (``QueuePool`` raises ``ArgumentError`` there)."""
