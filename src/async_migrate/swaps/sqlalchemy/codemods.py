"""libcst codemods of the sqlalchemy swap: one function per edit kind, given the node as
rewritten so far.

    engine = create_engine("sqlite:///db")  ->  engine = create_async_engine("sqlite+aiosqlite:///db")
    with Session(engine) as session:        ->  async with AsyncSession(engine) as session:
    session.commit()                        ->  await session.commit()
    SQLModel.metadata.create_all(engine)    ->  async with engine.begin() as connection:
                                                    await connection.run_sync(SQLModel.metadata.create_all)
"""

from __future__ import annotations

import libcst as cst

from ..base import Rewriting
from .drivers import scheme_of
from .edits import (
    AsyncEngine,
    AsyncSessionFactory,
    AsyncSessionName,
    AsyncUrl,
    CreateAllAsync,
    RefreshAfterCommit,
)


def await_database(call: cst.Call, edit: object, rewriting: Rewriting) -> cst.Await:
    return cst.Await(expression=call)


def async_with(node: cst.With, edit: object, rewriting: Rewriting) -> cst.With:
    return node.with_changes(asynchronous=cst.Asynchronous())


def async_session_name(node: cst.BaseExpression, edit: AsyncSessionName, rewriting: Rewriting) -> cst.Name:
    imports = rewriting.imports
    if edit.unused_import is not None:
        imports.drop(edit.unused_import)
    imports.need(edit.module, "AsyncSession")
    return cst.Name(imports.local_name((edit.module, "AsyncSession")))


def async_engine(call: cst.Call, edit: AsyncEngine, rewriting: Rewriting) -> cst.Call:
    imports = rewriting.imports
    imports.need("sqlalchemy.ext.asyncio", "create_async_engine")
    if edit.unused_import is not None:
        imports.drop(edit.unused_import)
    args = list(call.args)
    if edit.wrap_url:
        imports.need("sqlalchemy", "make_url")
        url = args[0]
        wrapped = cst.parse_expression(
            f'{imports.local_name(("sqlalchemy", "make_url"))}(x).set(drivername="{edit.drivername}")'
        )
        assert isinstance(wrapped, cst.Call) and isinstance(wrapped.func, cst.Attribute)
        inner = wrapped.func.value
        assert isinstance(inner, cst.Call)
        inner = inner.with_changes(args=[cst.Arg(url.value)])
        wrapped = wrapped.with_changes(func=wrapped.func.with_changes(value=inner))
        args[0] = url.with_changes(value=wrapped)
    name = imports.local_name(("sqlalchemy.ext.asyncio", "create_async_engine"))
    return call.with_changes(func=cst.Name(name), args=args)


def async_session_factory(call: cst.Call, edit: AsyncSessionFactory, rewriting: Rewriting) -> cst.Call:
    imports = rewriting.imports
    imports.need("sqlalchemy.ext.asyncio", "async_sessionmaker")
    if edit.unused_import is not None:
        imports.drop(edit.unused_import)
    return call.with_changes(
        func=cst.Name(imports.local_name(("sqlalchemy.ext.asyncio", "async_sessionmaker")))
    )


def async_url(node: cst.BaseExpression, edit: AsyncUrl, rewriting: Rewriting) -> cst.BaseExpression:
    """Only the scheme changes; quotes, prefix and the rest of the string stay as written."""
    if isinstance(node, cst.SimpleString):
        body = node.value[len(node.prefix) + len(node.quote) : -len(node.quote)]
        scheme = scheme_of(body)
        assert scheme is not None
        return node.with_changes(value=node.value.replace(scheme, edit.drivername, 1))
    assert isinstance(node, cst.FormattedString) and isinstance(node.parts[0], cst.FormattedStringText)
    first = node.parts[0]
    scheme = scheme_of(first.value)
    assert scheme is not None
    parts = [first.with_changes(value=first.value.replace(scheme, edit.drivername, 1)), *node.parts[1:]]
    return node.with_changes(parts=parts)


def refresh_after_commit(
    statement: cst.SimpleStatementLine, edit: RefreshAfterCommit, rewriting: Rewriting
) -> cst.FlattenSentinel[cst.BaseStatement]:
    """The refreshes go right before the statement, below its comments."""
    refreshes = [
        cst.SimpleStatementLine(
            body=[
                cst.Expr(
                    cst.Await(
                        cst.Call(
                            func=cst.Attribute(cst.Name(edit.session), cst.Name("refresh")),
                            args=[cst.Arg(cst.Name(name))],
                        )
                    )
                )
            ],
            leading_lines=statement.leading_lines if number == 0 else (),
        )
        for number, name in enumerate(edit.names)
    ]
    return cst.FlattenSentinel([*refreshes, statement.with_changes(leading_lines=())])


def create_all_async(
    statement: cst.SimpleStatementLine, edit: CreateAllAsync, rewriting: Rewriting
) -> cst.With:
    """``M.create_all(engine, **kw)`` ->
    ``async with engine.begin() as c: await c.run_sync(M.create_all, **kw)``."""
    (expression,) = statement.body
    assert isinstance(expression, cst.Expr) and isinstance(expression.value, cst.Call)
    call = expression.value
    bind = next(arg for arg in call.args if arg.keyword is None or arg.keyword.value == "bind")
    rest = [arg for arg in call.args if arg is not bind]
    if rest:
        rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    connection = cst.Name(edit.connection)
    run = cst.Call(
        func=cst.Attribute(connection, cst.Name("run_sync")),
        args=[cst.Arg(call.func.with_changes(lpar=(), rpar=())), *rest],
    )
    inner = statement.with_changes(body=[expression.with_changes(value=cst.Await(run))], leading_lines=())
    begin = cst.Call(func=cst.Attribute(bind.value, cst.Name("begin")))
    return cst.With(
        items=[cst.WithItem(item=begin, asname=cst.AsName(name=connection))],
        body=cst.IndentedBlock(body=[inner]),
        asynchronous=cst.Asynchronous(),
        leading_lines=statement.leading_lines,
    )
