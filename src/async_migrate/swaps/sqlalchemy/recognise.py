"""Finds the swap's group in the project's trees: the engine, the names of the session class,
the places the tool can't follow, and instances read after a commit.

Reads the ``ast`` trees the index already parsed; the calls themselves are the index's facts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from ...facts import FunctionFact, ImportBinding, Span
from ...index import ProjectIndex
from ...index.tables import ModuleTable
from .drivers import ASYNC_POOLS, ENGINE_KEYWORDS, RUN_TIME, AsyncDriver, async_driver
from .names import ENGINE_FACTORIES, SESSION_CLASSES, SESSION_FACTORIES, TAKES_INSTANCES


@dataclass
class Engine:
    """A module-level ``name = create_engine(url, ...)``."""

    module: ModuleTable
    name: str
    call: ast.Call
    binding: ImportBinding | None
    driver: AsyncDriver | None = None
    url: ast.expr | None = None
    """The literal to rewrite (in the call, or the one a module variable is bound to)."""
    wrap_url: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass
class Factory:
    """A module-level ``name = sessionmaker(bind=engine, ...)``."""

    module: ModuleTable
    name: str
    call: ast.Call
    binding: ImportBinding | None
    bind: str | None
    """The name of the engine it binds (``bind=engine`` or the first argument)."""
    problems: list[str] = field(default_factory=list)


def factories(module: ModuleTable) -> list[Factory]:
    """The session factories a module makes at module level."""
    if module.identifiers.isdisjoint({"sessionmaker"}):
        return []
    found = []
    for statement in module.tree.body:
        call = statement.value if isinstance(statement, ast.Assign) else None
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            continue
        if _imported(module, call.func.id) not in SESSION_FACTORIES:
            continue
        assert isinstance(statement, ast.Assign)
        target = statement.targets[0] if len(statement.targets) == 1 else None
        bind = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "bind"), None)
        factory = Factory(
            module,
            target.id if isinstance(target, ast.Name) else "",
            call,
            module.imports[call.func.id][1],
            bind.id if isinstance(bind, ast.Name) else None,
        )
        where = f"{module.path}:{call.lineno}"
        if not factory.name:
            factory.problems.append(f"the sessionmaker at {where} is not bound to one name")
        if factory.bind is None:
            factory.problems.append(f"the sessionmaker at {where} is not bound to an engine by name")
        if any(keyword.arg in (None, "class_") for keyword in call.keywords):
            factory.problems.append(f"the sessionmaker at {where} names its own session class or **arguments")
        found.append(factory)
    return found


def span_of(module: ModuleTable, node: ast.expr | ast.stmt) -> Span:
    return module.columns.span(node)


def _imported(module: ModuleTable, local: str) -> str | None:
    found = module.imports.get(local)
    return found[0] if found else None


def engines(index: ProjectIndex) -> list[Engine]:
    """Every ``create_engine`` call at module level, with what stands in the way of its swap."""
    found = []
    for module in index.modules.values():
        if module.identifiers.isdisjoint({"create_engine"}):
            continue
        for statement in module.tree.body:
            call = statement.value if isinstance(statement, ast.Assign | ast.Expr) else None
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
                continue
            if _imported(module, call.func.id) not in ENGINE_FACTORIES:
                continue
            targets = statement.targets if isinstance(statement, ast.Assign) else []
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                engine = Engine(module, "", call, None)
                engine.problems.append(f"the engine at {module.path}:{call.lineno} is not bound to one name")
            else:
                engine = Engine(module, targets[0].id, call, module.imports[call.func.id][1])
                _check_engine(index, engine)
            found.append(engine)
    return found


def _check_engine(index: ProjectIndex, engine: Engine) -> None:
    call, module = engine.call, engine.module
    where = f"{module.path}:{call.lineno}"
    url = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "url"), None)
    start, literal = _url_start(module, url)
    if url is None or isinstance(url, ast.Starred):
        engine.problems.append(f"the engine at {where} is given no URL the tool can see")
        return
    engine.driver = async_driver(start) if start is not None else RUN_TIME
    if engine.driver is None:
        engine.problems.append(f"no async driver is known for the URL {start!r} at {where}")
        return
    if not engine.driver.same_connect_args and _has_query(literal):
        # psycopg2's and pymysql's URL options (sslmode, connect_timeout) are keyword arguments
        # asyncpg's and aiomysql's connect() doesn't take (TypeError when the first connection opens)
        engine.problems.append(
            f"the URL at {where} has options for the sync driver, not {engine.driver.drivername}"
        )
    if literal is url:
        engine.url = url
    elif literal is not None and isinstance(url, ast.Name) and _only_use(index, module, url.id):
        engine.url = literal
    else:
        engine.wrap_url = True
        if not call.args:
            engine.problems.append(f"the engine's URL at {where} is passed as url=")
    for keyword in call.keywords:
        if keyword.arg in (None, "url"):
            if keyword.arg is None:
                engine.problems.append(f"create_engine(**...) at {where}: arguments the tool can't see")
            continue
        if keyword.arg not in ENGINE_KEYWORDS:
            engine.problems.append(f"create_engine({keyword.arg}=...) at {where} has no known async meaning")
        elif keyword.arg == "connect_args" and not engine.driver.same_connect_args:
            engine.problems.append(
                f"connect_args at {where} are for the sync driver, not {engine.driver.drivername}"
                if engine.driver.drivername
                else f"connect_args at {where} are for a driver known only at run time"
            )
        elif keyword.arg == "poolclass" and _last_name(keyword.value) not in ASYNC_POOLS:
            engine.problems.append(f"poolclass at {where} is not a pool an async engine accepts")


def reads_nothing(url: ast.expr) -> bool:
    """``url`` can be evaluated twice with the same value: literals, names, attributes, constant
    subscripts (``os.environ["URL"]``) and ``str()`` of those."""
    if isinstance(url, ast.Call):
        simple_str = isinstance(url.func, ast.Name) and url.func.id == "str" and len(url.args) == 1
        return simple_str and not url.keywords and reads_nothing(url.args[0])
    if isinstance(url, ast.Subscript):
        return isinstance(url.slice, ast.Constant) and reads_nothing(url.value)
    if isinstance(url, ast.Attribute):
        return reads_nothing(url.value)
    if isinstance(url, ast.JoinedStr):
        return all(reads_nothing(part.value) for part in url.values if isinstance(part, ast.FormattedValue))
    return isinstance(url, ast.Name | ast.Constant)


def _has_query(literal: ast.expr | None) -> bool:
    parts = literal.values if isinstance(literal, ast.JoinedStr) else [literal]
    return any(isinstance(part, ast.Constant) and "?" in str(part.value) for part in parts)


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _url_start(module: ModuleTable, url: ast.expr | None) -> tuple[str | None, ast.expr | None]:
    """The literal start of a URL (``sqlite:///`` of ``f"sqlite:///{name}"``) and the literal
    node holding it, following a module variable bound once."""
    if isinstance(url, ast.Name):
        bound = module.variables.get(url.id)
        if bound is None or _assignments(module, url.id) != 1:
            return None, None
        start, _ = _url_start(module, bound)
        return start, bound if start is not None else None
    if isinstance(url, ast.Constant) and isinstance(url.value, str):
        return url.value, url
    if isinstance(url, ast.JoinedStr) and url.values:
        first = url.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and "://" in first.value:
            return first.value, url
    return None, None


def _assignments(module: ModuleTable, name: str) -> int:
    return sum(
        isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store)
        for node in ast.walk(module.tree)
    )


def _only_use(index: ProjectIndex, module: ModuleTable, name: str) -> bool:
    """``name`` is bound once and read once in its module, and no other module imports it."""
    if index.used_beyond(module.path, name, 2):
        return False
    return not any(
        target == f"{module.name}.{name}"
        for other in index.modules.values()
        for target, _ in other.imports.values()
    )


@dataclass(frozen=True)
class SessionName:
    """A use of the sync session class by a name imported from its library."""

    span: Span
    library: str
    binding: ImportBinding


def session_names(module: ModuleTable) -> tuple[list[SessionName], list[str]]:
    """The uses of session classes imported by name, and the ones the rename can't reach."""
    local = {
        name: SESSION_CLASSES[target]
        for name, (target, _) in module.imports.items()
        if target in SESSION_CLASSES
    }
    names, problems = [], []
    if not local and "Session" not in module.identifiers:
        return names, problems
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Name) and node.id in local and isinstance(node.ctx, ast.Load):
            names.append(SessionName(span_of(module, node), local[node.id], module.imports[node.id][1]))
        elif isinstance(node, ast.Attribute) and node.attr == "Session" and isinstance(node.ctx, ast.Load):
            problems.append(f"{module.path}:{node.lineno} names a Session class by attribute")
        elif isinstance(node, ast.Name) and node.id in local and not isinstance(node.ctx, ast.Load):
            problems.append(f"{module.path}:{node.lineno} binds the name {node.id} again")
    return names, problems


def module_level_uses(module: ModuleTable, names: set[str], allowed: set[int]) -> list[str]:
    """Module-level code (not in a function) that uses an engine or session name, other than the
    statements in ``allowed`` (the engine's own assignment, type aliases) and imports."""
    found = []
    for statement in _module_level(module.tree.body):
        if id(statement) in allowed or isinstance(statement, ast.Import | ast.ImportFrom):
            continue
        if _is_alias(statement):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and node.id in names:
                found.append(f"{node.id} is used at module level, {module.path}:{node.lineno}")
                break
    return found + _decorator_uses(module, names)


def _decorator_uses(module: ModuleTable, names: set[str]) -> list[str]:
    """Decorators run at import: ``@event.listens_for(engine, "connect")`` raises
    ``NotImplementedError`` on an ``AsyncEngine`` (its events go on ``engine.sync_engine``)."""
    found = []
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        used = {name.id for d in node.decorator_list for name in ast.walk(d) if isinstance(name, ast.Name)}
        for name in sorted(used & names):
            found.append(f"{name} is used by a decorator of {node.name}, {module.path}:{node.lineno}")
    return found


SERVER_SIDE = frozenset({"yield_per", "stream_results"})


def server_side_cursors(module: ModuleTable) -> list[str]:
    """``execution_options(yield_per=...)``, ``{"stream_results": True}``, ``.yield_per(n)``: a
    server-side cursor, which ``AsyncSession.execute`` refuses (``AsyncMethodRequired``; only
    ``stream()`` serves one). Looked for anywhere in the module: a statement may be built at
    module level, the option set on the engine."""
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.keyword):
            named = node.arg
        elif isinstance(node, ast.Constant):
            named = node.value
        else:
            named = node.attr if isinstance(node, ast.Attribute) else None
        if isinstance(named, str) and named in SERVER_SIDE:
            where = f"{module.path}:{getattr(node, 'lineno', 0)}"
            found.append(
                f"{named} at {where} asks for a server-side cursor, which AsyncSession.execute refuses"
            )
    return found


def updated_by_database(module: ModuleTable) -> list[str]:
    """Columns the database sets on UPDATE (``onupdate=func.now()``, ``server_onupdate=...``,
    also as ``sa_column_kwargs`` keys): a flush of an update expires them, and the next read
    reloads them lazily, which an ``AsyncSession`` can't do (``MissingGreenlet``; measured).
    A Python callable (``onupdate=datetime.now``) is set on the instance instead."""
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.keyword):
            pairs = [(node.arg, node.value)]
        elif isinstance(node, ast.Dict):
            pairs = [
                (key.value, value)
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant)
            ]
        else:
            continue
        for name, value in pairs:
            if name == "server_onupdate" or (name == "onupdate" and isinstance(value, ast.Call)):
                where = f"{module.path}:{value.lineno}"
                found.append(
                    f"{name}={ast.unparse(value)} at {where}: the database sets it, a read after a flush "
                    "reloads it"
                )
    return found


def unscanned_uses(module: ModuleTable, names: set[str], scanned: set[int]) -> list[str]:
    """Functions the index didn't scan (no entry point reaches them: a script, a job, a background
    task) that name the engine, a session factory or the session class: they would keep calling
    what became async without ``await``."""
    found = []
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or id(node) in scanned:
            continue
        inside = [node.args, *node.body]  # not its decorators, said apart
        used = {name.id for part in inside for name in ast.walk(part) if isinstance(name, ast.Name)} & names
        if used:
            where = f"{module.path}:{node.lineno}"
            found.append(f"{node.name} at {where} uses {min(used)} and no entry point reaches it")
    return found


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(statement, ast.ClassDef):
            continue  # annotations in class bodies only name the class
        if isinstance(statement, ast.If | ast.Try):
            yield from _module_level([*statement.body, *statement.orelse])
            continue
        yield statement


def _is_alias(statement: ast.stmt) -> bool:
    """``SessionDep = Annotated[Session, Depends(get_session)]``: a type, renamed with the class."""
    value = getattr(statement, "value", None)
    return isinstance(value, ast.Subscript) and _last_name(value.value) == "Annotated"


def function_node(module: ModuleTable, fact: FunctionFact) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == fact.name:
            lines = {node.lineno, *(decorator.lineno for decorator in node.decorator_list)}
            if fact.span.line in lines:
                return node
    return None


@dataclass(frozen=True)
class ExpiredRead:
    """The first read of an instance after a commit that expired it."""

    name: str
    read: ast.Name
    commit: ast.Call
    session: str | None
    """The session whose ``commit()`` it was; ``None`` for a helper given the session."""
    refreshable: bool
    """A single instance the function gave the session (``add``/``merge``), not deleted: an
    ``await session.refresh(name)`` loads what the first read would have."""

    @property
    def line(self) -> int:
        return self.read.lineno


def never_expire(modules: list[ModuleTable]) -> bool:
    """Every session these modules make is made with ``expire_on_commit=False``: each session
    factory and ``Session(...)`` call says so, no call of a factory says otherwise, and nothing
    sets ``.expire_on_commit`` later."""
    makers = {factory.name for module in modules for factory in factories(module)}
    made = 0
    for module in modules:
        local = makers | {name for name, (target, _) in module.imports.items() if target in SESSION_CLASSES}
        local |= {name for name, (target, _) in module.imports.items() if target.rpartition(".")[2] in makers}
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Attribute) and node.attr == "expire_on_commit":
                return False
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            is_factory = _imported(module, node.func.id) in SESSION_FACTORIES
            if not is_factory and node.func.id not in local:
                continue
            given = [keyword for keyword in node.keywords if keyword.arg in ("expire_on_commit", None)]
            off = [k for k in given if isinstance(k.value, ast.Constant) and k.value.value is False]
            if given != off or (not off and (is_factory or node.func.id not in makers)):
                return False  # said otherwise, or not said where the session is made
            made += bool(off)
    return made > 0


def expired_reads(
    node: ast.FunctionDef | ast.AsyncFunctionDef, sessions: set[str], commit_expires: bool = True
) -> list[ExpiredRead]:
    """Instances the session loaded or was given, read after a ``commit()`` with no ``refresh()``
    of them in between.

    The sessions are the receivers of session methods (``sessions``) and the parameters annotated
    with a Session type. An instance is a name passed to a session method or bound from a call
    given a session (``hero = session.get(Hero, 1)``, ``user = crud.get_user(db, 1)``). A call
    handing a session to a helper may commit in it, so it counts as a commit. Source order stands
    for run order (a loop that commits and reads on its next turn is not seen)."""
    sessions = sessions | session_parameters(node)
    events: list[tuple[tuple[int, int], str, str, ast.AST]] = []  # position, kind, name, node
    instances: set[str] = set()
    added: set[str] = set()
    deleted: set[str] = set()
    handed: set[int] = set()  # names passed to the session itself: it doesn't read them
    bound_at: dict[int, tuple[int, int]] = {}  # a target's binding happens once its value is made
    for child in _own_nodes(node):
        if isinstance(child, ast.Call):
            position = (child.end_lineno or child.lineno, child.end_col_offset or 0)
            func = child.func
            receiver = func.value if isinstance(func, ast.Attribute) else None
            if isinstance(receiver, ast.Name) and receiver.id in sessions and isinstance(func, ast.Attribute):
                if func.attr == "commit" and commit_expires:
                    events.append((position, "commit", receiver.id, child))
                elif func.attr == "rollback":
                    # expires every instance too; one it was given is expunged, which refresh() refuses
                    events.append((position, "commit", "", child))
                for argument in child.args:
                    if isinstance(argument, ast.Name) and func.attr in TAKES_INSTANCES:
                        instances.add(argument.id)
                        handed.add(id(argument))
                        if func.attr in ("add", "merge"):
                            added.add(argument.id)
                        if func.attr == "delete":
                            deleted.add(argument.id)
                        if func.attr == "refresh":
                            events.append((position, "refresh", argument.id, child))
            elif commit_expires and any(
                isinstance(arg, ast.Name) and arg.id in sessions for arg in _arguments(child)
            ):
                events.append((position, "commit", "", child))  # a helper given the session may commit
        elif isinstance(child, ast.Assign | ast.AnnAssign) and child.value is not None:
            targets = child.targets if isinstance(child, ast.Assign) else [child.target]
            names = [target for target in targets if isinstance(target, ast.Name)]
            for target in names:
                bound_at[id(target)] = (child.end_lineno or child.lineno, (child.end_col_offset or 0) + 1)
            if _calls_session(child.value, sessions):
                instances.update(target.id for target in names)
    for child in _own_nodes(node):
        if isinstance(child, ast.Name) and child.id in instances and id(child) not in handed:
            kind = "read" if isinstance(child.ctx, ast.Load) else "bind"
            events.append((bound_at.get(id(child), (child.lineno, child.col_offset)), kind, child.id, child))
    events.sort(key=lambda event: event[0])
    found = []
    commit: tuple[ast.Call, str | None] | None = None
    fresh: set[str] = set()
    for _, kind, name, where in events:
        if kind == "commit":
            assert isinstance(where, ast.Call)
            commit, fresh = (where, name or None), set()
        elif kind in ("refresh", "bind"):
            fresh.add(name)
        elif commit is not None and name not in fresh:
            assert isinstance(where, ast.Name)
            refreshable = name in added and name not in deleted and commit[1] is not None
            found.append(ExpiredRead(name, where, commit[0], commit[1], refreshable))
            fresh.add(name)
    return found


def refresh_sites(
    node: ast.FunctionDef | ast.AsyncFunctionDef, reads: list[ExpiredRead]
) -> tuple[dict[ast.stmt, tuple[str, tuple[str, ...]]], list[ExpiredRead]]:
    """Where ``await session.refresh(name)`` can go for each read: before the simple statement
    holding the read, when it follows the commit's statement in the same block, outside any loop
    (run once, where the sync session's lazy load ran). The reads that can't be served so."""
    parents = {id(child): parent for parent in ast.walk(node) for child in ast.iter_child_nodes(parent)}

    def statement_of(inner: ast.AST) -> ast.stmt:
        while not isinstance(inner, ast.stmt):
            inner = parents[id(inner)]
        return inner

    def in_loop(statement: ast.AST) -> bool:
        while statement is not node:
            statement = parents[id(statement)]
            if isinstance(statement, ast.For | ast.AsyncFor | ast.While):
                return True
        return False

    def block_of(statement: ast.stmt) -> list[ast.stmt]:
        parent = parents[id(statement)]
        return next(
            body
            for _, body in ast.iter_fields(parent)
            if isinstance(body, list) and any(item is statement for item in body)
        )

    sites: dict[ast.stmt, tuple[str, tuple[str, ...]]] = {}
    left = []
    for read in reads:
        statement, committed = statement_of(read.read), statement_of(read.commit)
        block = block_of(statement)
        same_block = statement is not committed and any(item is committed for item in block)
        # a statement alone on its line (``x = 1; return hero`` has no line of its own to precede)
        same_block = same_block and sum(item.lineno == statement.lineno for item in block) == 1
        simple = isinstance(statement, ast.Return | ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Expr)
        # only an attribute read is what the sync session's lazy load served: the instance itself
        # handed on (``return hero``) may be serialised from its ``__dict__``, which is empty when
        # expired (FastAPI answers ``{}`` for a SQLModel table model), and a refresh would fill it
        parent = parents[id(read.read)]
        attribute = isinstance(parent, ast.Attribute) and isinstance(parent.ctx, ast.Load)
        if not (read.refreshable and attribute and same_block and simple and not in_loop(statement)):
            left.append(read)
            continue
        assert read.session is not None
        session, names = sites.get(statement, (read.session, ()))
        if session != read.session:
            left.append(read)
            continue
        sites[statement] = (session, (*names, read.name))
    return sites, left


@dataclass(frozen=True)
class Escape:
    """A session leaving the function other than by a call the tool follows."""

    node: ast.AST
    what: str
    call: ast.Call | None = None
    """A call the session is handed to: fine when it is a project function (planned too)."""


def session_escapes(
    node: ast.FunctionDef | ast.AsyncFunctionDef, sessions: set[str], made: set[str]
) -> list[Escape]:
    """Where a session is stored in an attribute or an item (``request.state.db = SessionLocal()``,
    ``CACHE["db"] = db``) or handed to a call (``background_tasks.add_task(log, db)``,
    ``Thread(target=f, args=(db,))``): whoever uses it there would call an ``AsyncSession``
    without ``await``. ``made`` are the names of session classes and factories."""
    sessions = sessions | session_parameters(node) | _opened(node, made)
    found = []
    for child in _own_nodes(node):
        if isinstance(child, ast.Assign | ast.AnnAssign) and child.value is not None:
            targets = child.targets if isinstance(child, ast.Assign) else [child.target]
            stored = [target for target in targets if isinstance(target, ast.Attribute | ast.Subscript)]
            if stored and (_is_session(child.value, sessions) or _makes_session(child.value, made)):
                found.append(Escape(child, f"a session is stored in {ast.unparse(stored[0])}"))
        elif isinstance(child, ast.Call) and not _method_of(child, sessions):
            handed = [arg for arg in _arguments(child) if _holds_session(arg, sessions)]
            if handed:
                found.append(Escape(child, f"a session is handed to {ast.unparse(child.func)}()", child))
    return found


def _opened(node: ast.FunctionDef | ast.AsyncFunctionDef, made: set[str]) -> set[str]:
    """Names bound to a new session: ``db = SessionLocal()``, ``with Session(engine) as db``."""
    names = set()
    for child in _own_nodes(node):
        if isinstance(child, ast.Assign) and _makes_session(child.value, made):
            names |= {target.id for target in child.targets if isinstance(target, ast.Name)}
        elif (
            isinstance(child, ast.withitem)
            and _makes_session(child.context_expr, made)
            and isinstance(child.optional_vars, ast.Name)
        ):
            names.add(child.optional_vars.id)
    return names


def _makes_session(value: ast.expr, made: set[str]) -> bool:
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in made


def _is_session(value: ast.expr, sessions: set[str]) -> bool:
    return isinstance(value, ast.Name) and value.id in sessions


def _holds_session(value: ast.expr, sessions: set[str]) -> bool:
    """The session itself, or in a tuple or list (``args=(db,)``), or a starred one."""
    if isinstance(value, ast.Tuple | ast.List):
        return any(_holds_session(item, sessions) for item in value.elts)
    if isinstance(value, ast.Starred):
        return _holds_session(value.value, sessions)
    return _is_session(value, sessions)


def _method_of(call: ast.Call, sessions: set[str]) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and _is_session(func.value, sessions)


def session_parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters annotated with a Session type (``Session``, ``SessionDep``, ``AsyncSession``)."""
    arguments = node.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    return {
        argument.arg
        for argument in every
        if argument.annotation is not None and "Session" in ast.unparse(argument.annotation)
    }


def _arguments(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(keyword.value for keyword in call.keywords)]


def _calls_session(value: ast.expr, sessions: set[str]) -> bool:
    """``value`` calls a session method, or a function it hands a session to."""
    return any(
        isinstance(node, ast.Call)
        and (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in sessions
            or any(isinstance(arg, ast.Name) and arg.id in sessions for arg in _arguments(node))
        )
        for node in ast.walk(value)
    )


def _own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of functions or classes defined in it."""
    pending = [*ast.iter_child_nodes(node)]
    while pending:
        child = pending.pop()
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield child
        pending.extend(ast.iter_child_nodes(child))
