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
from .drivers import RUN_TIME_DRIVERS, scheme_of
from .edits import (
    AsyncEngine,
    AsyncEngineBeside,
    AsyncSessionFactory,
    AsyncSessionName,
    AsyncUrl,
    CreateAllAsync,
    ImportAsyncEngine,
    RefreshAfterCommit,
    RenameEngine,
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
        make_url = imports.local_name(("sqlalchemy", "make_url"))
        url = args[0].value
        if edit.drivername is None:
            helper = imports.helper(
                "_async_driver_url",
                lambda name: _ASYNC_DRIVER_URL.format(name=name, make_url=make_url, drivers=_DRIVER_LINES),
            )
            wrapped: cst.BaseExpression = cst.Call(cst.Name(helper), [cst.Arg(url)])
        else:
            driver = cst.Arg(
                cst.SimpleString(f'"{edit.drivername}"'),
                keyword=cst.Name("drivername"),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            )
            made = cst.Call(cst.Name(make_url), [cst.Arg(url)])
            wrapped = cst.Call(cst.Attribute(made, cst.Name("set")), [driver])
        args[0] = args[0].with_changes(value=wrapped)
    name = imports.local_name(("sqlalchemy.ext.asyncio", "create_async_engine"))
    return call.with_changes(func=cst.Name(name), args=args)


_DRIVER_LINES = "\n".join(f'        "{sync}": "{driver}",' for sync, driver in RUN_TIME_DRIVERS.items())
_ASYNC_DRIVER_URL = '''
def {name}(url):
    """The URL with the async driver of its database, chosen when the app starts (async-migrate)."""
    url = {make_url}(url)
    drivers = {{
{drivers}
    }}
    return url.set(drivername=drivers.get(url.drivername, url.drivername))
'''


def async_engine_beside(
    statement: cst.SimpleStatementLine, edit: AsyncEngineBeside, rewriting: Rewriting
) -> cst.FlattenSentinel[cst.BaseStatement]:
    """The sync engine's statement as it is, then the async engine made with a copy of its call."""
    (assign,) = statement.body
    assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call)
    call = async_engine(assign.value, edit, rewriting)
    if edit.literal_url:
        url = call.args[0]
        call = call.with_changes(
            args=[url.with_changes(value=async_url(url.value, edit, rewriting)), *call.args[1:]]
        )
    target = cst.AssignTarget(cst.Name(edit.name))
    beside = statement.with_changes(
        body=[assign.with_changes(targets=[target], value=call)], leading_lines=()
    )
    return cst.FlattenSentinel([statement, beside])


def rename_engine(node: cst.Name, edit: RenameEngine, rewriting: Rewriting) -> cst.Name:
    return node.with_changes(value=edit.name)


def import_async_engine(
    statement: cst.SimpleStatementLine, edit: ImportAsyncEngine, rewriting: Rewriting
) -> cst.SimpleStatementLine:
    """Only the engine's alias changes: ``async_engine as <the name the module used>``."""
    (imported,) = statement.body
    assert isinstance(imported, cst.ImportFrom) and isinstance(imported.names, list | tuple)
    names = []
    for alias in imported.names:
        if isinstance(alias.name, cst.Name) and alias.name.value == edit.imported:
            local = alias.asname.name if alias.asname else cst.Name(edit.imported)
            alias = alias.with_changes(name=cst.Name(edit.name), asname=cst.AsName(name=local))
        names.append(alias)
    return statement.with_changes(body=[imported.with_changes(names=names)])


def async_session_factory(call: cst.Call, edit: AsyncSessionFactory, rewriting: Rewriting) -> cst.Call:
    imports = rewriting.imports
    imports.need("sqlalchemy.ext.asyncio", "async_sessionmaker")
    if edit.unused_import is not None:
        imports.drop(edit.unused_import)
    return call.with_changes(
        func=cst.Name(imports.local_name(("sqlalchemy.ext.asyncio", "async_sessionmaker")))
    )


def async_url(
    node: cst.BaseExpression, edit: AsyncUrl | AsyncEngine, rewriting: Rewriting
) -> cst.BaseExpression:
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
