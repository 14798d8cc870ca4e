"""The sqlalchemy swap (``--db-session async``): its codemods, node before and after (AM107),
the URL drivers, and what counts as an instance read after a commit (AM220)."""

from __future__ import annotations

import ast

import pytest
from swap_helpers import PATH, rewritten, span_of

from async_migrate.facts import ImportBinding
from async_migrate.rules import Rule
from async_migrate.swaps.sqlalchemy.drivers import async_driver
from async_migrate.swaps.sqlalchemy.edits import (
    AsyncEngine,
    AsyncSessionFactory,
    AsyncSessionName,
    AsyncSessionWith,
    AsyncUrl,
    AwaitDatabase,
    CreateAllAsync,
    RefreshAfterCommit,
)
from async_migrate.swaps.sqlalchemy.recognise import expired_reads, refresh_sites

R = Rule.DB_SESSION


def test_a_session_method_is_awaited_and_its_result_read_in_parentheses() -> None:
    before = "async def f(session):\n    return session.exec(q).all()\n"
    edit = AwaitDatabase(R, PATH, span_of(before, ast.Call, 1))
    assert rewritten(before, edit) == "async def f(session):\n    return (await session.exec(q)).all()\n"


def test_the_session_is_opened_with_async_with() -> None:
    before = "async def f():\n    with Session(engine) as session:  # one\n        yield session\n"
    edit = AsyncSessionWith(R, PATH, span_of(before, ast.With))
    assert rewritten(before, edit) == before.replace("with Session", "async with Session")


def test_create_all_runs_through_run_sync_in_a_transaction_of_the_engine() -> None:
    before = "async def f():\n    # tables\n    SQLModel.metadata.create_all(engine, checkfirst=True)\n"
    edit = CreateAllAsync(R, PATH, span_of(before, ast.Call), "connection")
    after = (
        "async def f():\n    # tables\n    async with engine.begin() as connection:\n"
        "        await connection.run_sync(SQLModel.metadata.create_all, checkfirst=True)\n"
    )
    assert rewritten(before, edit) == after


def test_the_session_class_name_becomes_async_session_from_its_library() -> None:
    before = "from sqlmodel import Field, Session\n\nSessionDep = Annotated[Session, Depends(get_session)]\n"
    binding = ImportBinding("sqlmodel", "Session")
    edit = AsyncSessionName(R, PATH, span_of(before, ast.Name, 2), "sqlmodel.ext.asyncio.session", binding)
    after = (
        "from sqlmodel import Field\nfrom sqlmodel.ext.asyncio.session import AsyncSession\n\n"
        "SessionDep = Annotated[AsyncSession, Depends(get_session)]\n"
    )
    assert rewritten(before, edit) == after


def test_the_engine_becomes_an_async_engine_with_the_same_arguments() -> None:
    before = (
        'from sqlmodel import create_engine\n\nengine = create_engine("sqlite:///db.sqlite", echo=True)\n'
    )
    call = span_of(before, ast.Call)
    binding = ImportBinding("sqlmodel", "create_engine")
    edits = [
        AsyncEngine(R, PATH, call, "sqlite+aiosqlite", "aiosqlite", False, binding),
        AsyncUrl(R, PATH, span_of(before, ast.Constant), "sqlite+aiosqlite"),
    ]
    after = (
        "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
        'engine = create_async_engine("sqlite+aiosqlite:///db.sqlite", echo=True)\n'
    )
    assert rewritten(before, *edits) == after


def test_an_f_string_url_changes_its_scheme_only() -> None:
    before = 'url = f"postgresql://{user}@{host}/app"\n'
    edit = AsyncUrl(R, PATH, span_of(before, ast.JoinedStr), "postgresql+asyncpg")
    assert rewritten(before, edit) == 'url = f"postgresql+asyncpg://{user}@{host}/app"\n'


def test_a_url_that_is_not_a_literal_here_gets_its_driver_at_run_time() -> None:
    before = "from sqlalchemy import create_engine\n\nengine = create_engine(URL, pool_size=5)\n"
    edit = AsyncEngine(R, PATH, span_of(before, ast.Call), "sqlite+aiosqlite", "aiosqlite", True, None)
    after = (
        "from sqlalchemy import create_engine\nfrom sqlalchemy import make_url\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
        'engine = create_async_engine(make_url(URL).set(drivername="sqlite+aiosqlite"), pool_size=5)\n'
    )
    assert rewritten(before, edit) == after


def test_a_sessionmaker_becomes_an_async_sessionmaker() -> None:
    before = "from sqlalchemy.orm import sessionmaker\n\n"
    before += "SessionLocal = sessionmaker(autoflush=False, bind=engine)\n"
    edit = AsyncSessionFactory(
        R, PATH, span_of(before, ast.Call), ImportBinding("sqlalchemy.orm", "sessionmaker")
    )
    after = (
        "from sqlalchemy.ext.asyncio import async_sessionmaker\n\n"
        "SessionLocal = async_sessionmaker(autoflush=False, bind=engine)\n"
    )
    assert rewritten(before, edit) == after


@pytest.mark.parametrize(
    ("url", "driver", "package"),
    [
        ("sqlite:///./app.db", "sqlite+aiosqlite", "aiosqlite"),
        ("sqlite://", "sqlite+aiosqlite", "aiosqlite"),
        ("postgresql://u@h/db", "postgresql+asyncpg", "asyncpg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg", "asyncpg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg", "psycopg"),
        ("mysql+pymysql://u@h/db", "mysql+aiomysql", "aiomysql"),
    ],
)
def test_each_sync_driver_has_the_async_driver_of_the_same_database(
    url: str, driver: str, package: str
) -> None:
    found = async_driver(url)
    assert found is not None and (found.drivername, found.package) == (driver, package)


@pytest.mark.parametrize("url", ["mysql://u@h/db", "oracle://u@h/db", "not a url", "postgresql+pg8000://u@h"])
def test_a_driver_without_a_known_async_twin_has_none(url: str) -> None:
    assert async_driver(url) is None


def _function(code: str) -> ast.FunctionDef:
    function = ast.parse(code).body[0]
    assert isinstance(function, ast.FunctionDef)
    return function


def _expired(code: str) -> list[tuple[str, int, int]]:
    return [
        (read.name, read.line, read.commit.lineno) for read in expired_reads(_function(code), {"session"})
    ]


def _refreshed(code: str) -> tuple[dict[int, tuple[str, tuple[str, ...]]], list[str]]:
    """Where refreshes go (by line of the statement they precede), and the reads left unserved."""
    function = _function(code)
    sites, left = refresh_sites(function, expired_reads(function, {"session"}))
    return {statement.lineno: site for statement, site in sites.items()}, [read.name for read in left]


def test_a_read_after_commit_without_refresh_is_found() -> None:
    code = "def f(session):\n    hero = Hero()\n    session.add(hero)\n"
    code += "    session.commit()\n    return hero.id\n"
    assert _expired(code) == [("hero", 5, 4)]


def test_a_refresh_after_commit_makes_the_instance_fresh() -> None:
    code = (
        "def f(session):\n    hero = Hero()\n    session.add(hero)\n    session.commit()\n"
        "    session.refresh(hero)\n    return hero\n"
    )
    assert _expired(code) == []


def test_an_instance_loaded_before_a_helper_given_the_session_is_read_stale() -> None:
    code = "def f(db: Session):\n    user = crud.get_user(db, 1)\n    crud.touch(db)\n    return user.email\n"
    assert _expired(code) == [("user", 4, 3)]


def test_an_instance_a_helper_returns_after_its_commit_is_fresh() -> None:
    code = "def f(db: Session):\n    user = crud.create_user(db, 'a')\n    return {'id': user.id}\n"
    assert _expired(code) == []


def test_an_added_instance_read_after_commit_is_refreshed_before_the_read() -> None:
    code = "def f(session):\n    hero = Hero()\n    session.add(hero)\n    session.commit()\n"
    code += "    log(1)\n    return {'id': hero.id}\n"
    assert _refreshed(code) == ({6: ("session", ("hero",))}, [])


@pytest.mark.parametrize(
    "tail",
    [
        "    if ok:\n        return hero.id\n",  # in another block than the commit
        "    for _ in range(2):\n        x = hero.id\n",  # in a loop
        "    x = 1; y = hero.id\n",  # no line of its own to put the refresh on
    ],
)
def test_a_read_the_refresh_cant_precede_exactly_keeps_the_function_sync(tail: str) -> None:
    code = "def f(session, ok):\n    hero = Hero()\n    session.add(hero)\n    session.commit()\n" + tail
    assert _refreshed(code) == ({}, ["hero"])


def test_a_list_or_a_deleted_instance_is_not_refreshed() -> None:
    listed = "def f(session):\n    heroes = [Hero()]\n    session.add_all(heroes)\n    session.commit()\n"
    assert _refreshed(listed + "    return heroes\n") == ({}, ["heroes"])
    deleted = "def f(session, hero):\n    session.add(hero)\n    session.delete(hero)\n    session.commit()\n"
    assert _refreshed(deleted + "    return hero.id\n") == ({}, ["hero"])


def test_the_refresh_goes_before_the_statement_below_its_comments() -> None:
    before = "async def f(session):\n    await session.commit()\n\n    # answer\n    return hero\n"
    edit = RefreshAfterCommit(R, PATH, span_of(before, ast.Return), "session", ("hero",))
    after = (
        "async def f(session):\n    await session.commit()\n\n    # answer\n"
        "    await session.refresh(hero)\n    return hero\n"
    )
    assert rewritten(before, edit) == after
