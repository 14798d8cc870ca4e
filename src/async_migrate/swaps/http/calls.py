"""Can this blocking HTTP call become an awaited async client request that means the same?

Part of the index: it reads one call and the function around it (stdlib ``ast``) and says what
stands in the way of an exact translation, if anything: an argument whose httpx meaning differs
for some value the code may pass, a use of the response that reads differently on an httpx
response, or a statement shape the client can't be opened around. The answer is an
``HttpFact``; ``decide`` adds what only the whole project shows (the ``except`` clauses of
callers), and the codemod writes the translation from ``httpmap``'s table.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ...facts import HttpFact, ImportBinding, ResponseUse, Span
from . import httpmap

Parents = dict[int, ast.AST]
TypeOf = Callable[[ast.expr], str | None]

_LITERALS = (ast.Dict, ast.List, ast.Tuple, ast.DictComp, ast.ListComp, ast.JoinedStr)
"""Expressions that are never None."""
_PLAIN_TYPES = frozenset({"builtins.str", "builtins.int", "builtins.float"})
_BYTES_OR_STR = frozenset({"builtins.str", "builtins.bytes"})
_STATEMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return)
_CONDITIONS = (ast.If, ast.While, ast.IfExp, ast.Assert)
_UNSUPPORTED_KEYWORDS = {
    "files": "files= (httpx rejects files opened in text mode)",
    "stream": "stream= (the streamed response would have to be read inside the client's block)",
    "hooks": "hooks= (httpx hooks are client-wide, async, and ignore a hook's return value)",
    "proxies": "proxies= (httpx takes one proxy per client, with other keys)",
    "cert": "cert= (httpx takes a client certificate through an SSL context)",
}
_RESPONSE_HINTS = {
    "text": "requests decodes a body without a charset as ISO-8859-1 (text/*) or by guessing; httpx as UTF-8",
    "iter_content": "streaming is not translated",
    "iter_lines": "streaming is not translated (requests yields bytes, httpx str)",
    "cookies": "the cookie jars differ",
    "encoding": "the encoding rules differ",
    "elapsed": "httpx sets it only once the body is read",
}


def parent_map(function: ast.AST) -> Parents:
    return {id(child): node for node in ast.walk(function) for child in ast.iter_child_nodes(node)}


class HttpCallAnalysis:
    """Checks one call of ``httpmap.SOURCES`` inside ``function``."""

    def __init__(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        parents: Parents,
        span_of: Callable[[ast.AST], Span],
        type_of: TypeOf,
        bindings: dict[str, list[ast.expr | None]],
        taken_names: frozenset[str],
        is_http_call: Callable[[ast.Call], bool],
        session_library: Callable[[ast.Call], str | None],
        binding_of: Callable[[ast.expr], ImportBinding | None],
        line_text: Callable[[int], str],
    ) -> None:
        self.function = function
        self.parents = parents
        self.span_of = span_of
        self.type_of = type_of
        self.bindings = bindings
        self.taken_names = taken_names
        self.is_http_call = is_http_call
        self.session_library = session_library
        self.binding_of = binding_of
        self.line_text = line_text
        self._sessions: dict[str, tuple[ast.With | None, str | None]] = {}
        self._names_read: dict[str, list[ast.Name]] | None = None
        self.uses: list[ResponseUse] = []
        self.raise_sites: list[Span] = []

    def _reads(self, name: str) -> list[ast.Name]:
        """Every place the function reads ``name`` (one walk of the function, then looked up)."""
        if self._names_read is None:
            self._names_read = {}
            for node in ast.walk(self.function):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    self._names_read.setdefault(node.id, []).append(node)
        return self._names_read.get(name, [])

    def analyse(self, call: ast.Call, library: str, verb: str, on_session: bool) -> HttpFact:
        self.uses.clear()
        self.raise_sites.clear()
        statement = self._statement(call)
        obstacle = self._statement_obstacle(call, statement)
        session: ast.With | None = None
        if obstacle is None and on_session:
            session, obstacle = self._session(call)
        if obstacle is None:
            arguments = self._requests_arguments if library == "requests" else self._httpx_arguments
            obstacle = arguments(call, verb)
        if obstacle is None and on_session and library == "requests":
            per_client = [k.arg for k in call.keywords if k.arg in httpmap.SESSION_ONLY_PER_CLIENT]
            if per_client:
                obstacle = f"{per_client[0]}= on one request of a session (httpx sets it per client)"
        if obstacle is None and library == "requests":
            obstacle = self._response_obstacle(call, statement)
        return HttpFact(
            library,
            verb,
            obstacle,
            self.span_of(statement) if statement is not None else None,
            self._free_name("client", "http_client"),
            self._response_name(call),
            tuple(self.uses) if obstacle is None else (),
            timeout=self._timeout_shape(call),
            form=self._is_form(call),
            optional_json=self._optional_json(call),
            ascii_headers=self._ascii_headers(call),
            named_headers=self._named_headers(call),
            session=self.span_of(session) if session is not None else None,
            session_binding=self._opener_binding(session),
        )

    def _opener_binding(self, session: ast.With | None) -> ImportBinding | None:
        """How ``requests.Session`` (or ``httpx.Client``) was imported, to drop it once unused."""
        opened = session.items[0].context_expr if session is not None else None
        return self.binding_of(opened.func) if isinstance(opened, ast.Call) else None

    # -- a session's with block -----------------------------------------------------------

    def _session(self, call: ast.Call) -> tuple[ast.With | None, str | None]:
        """The ``with requests.Session() as s:`` this ``s.get(...)`` belongs to, or why the
        session can't become an async client as a whole."""
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        if not isinstance(receiver, ast.Name):
            return None, "the session is not a local name"
        if receiver.id not in self._sessions:
            self._sessions[receiver.id] = self._session_block(receiver.id)
        return self._sessions[receiver.id]

    def _session_block(self, name: str) -> tuple[ast.With | None, str | None]:
        if len(self.bindings.get(name, [])) != 1:
            return None, f"the session {name!r} is not opened by a with statement of this function"
        block = next(
            (
                node
                for node in ast.walk(self.function)
                if isinstance(node, ast.With)
                and any(
                    isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name
                    for item in node.items
                )
            ),
            None,
        )
        if block is None:
            return None, f"the session {name!r} is not opened by a with statement of this function"
        if len(block.items) != 1 or not isinstance(block.items[0].context_expr, ast.Call):
            return None, "the session's with statement opens other things too"
        opened = block.items[0].context_expr
        library = self.session_library(opened)
        if library is None:
            return None, f"{name!r} is not a requests.Session or an httpx.Client"
        if library == "requests" and (opened.args or opened.keywords):
            return None, "requests.Session() takes no arguments"
        if opened.args or any(keyword.arg is None for keyword in opened.keywords):
            return None, "the client is configured with positional or **arguments"
        sync_only = [
            k.arg for k in opened.keywords if k.arg in {"transport", "mounts", "event_hooks", "auth"}
        ]
        if sync_only:
            return None, f"the client's {sync_only[0]}= is sync; the async client needs an async one"
        inside = {id(node) for statement in block.body for node in ast.walk(statement)}
        for node in self._reads(name):
            method = self.parents.get(id(node))
            request = self.parents.get(id(method))
            is_request = (
                id(node) in inside
                and isinstance(method, ast.Attribute)
                and isinstance(request, ast.Call)
                and request.func is method
                and self.is_http_call(request)
            )
            if not is_request:
                return None, f"the session {name!r} is used other than for requests inside its with block"
        return block, None

    def _ascii_headers(self, call: ast.Call) -> bool:
        value = next((k.value for k in call.keywords if k.arg == "headers"), None)
        if isinstance(value, ast.Name):
            value = self._named_literal(value)
        return value is None or (isinstance(value, ast.Dict) and all(map(_ascii_literal, value.values)))

    def _named_headers(self, call: ast.Call) -> Span | None:
        """The dict literal bound to the name passed as ``headers=``: its values are encoded
        where it is written (it only ever goes to HTTP calls)."""
        value = next((k.value for k in call.keywords if k.arg == "headers"), None)
        mapping = self._named_literal(value) if isinstance(value, ast.Name) else None
        return self.span_of(mapping) if mapping is not None else None

    def _optional_json(self, call: ast.Call) -> bool:
        """``json=name``: the name may be None (types are read through ``Optional``), when
        requests sends no body and no Content-Type, so the translation tests it."""
        value = next((k.value for k in call.keywords if k.arg == "json"), None)
        return isinstance(value, ast.Name)

    def _json(self, value: ast.expr) -> str | None:
        if isinstance(value, (ast.Name, *_LITERALS)) or (
            isinstance(value, ast.Constant) and value.value is not None
        ):
            return None
        return "json= may be None (requests then sends no body) and is neither a literal nor a name to test"

    def _is_form(self, call: ast.Call) -> bool:
        """``data=`` is a dict (sent as a form), not a str or bytes body."""
        value = next((k.value for k in call.keywords if k.arg == "data"), None)
        return isinstance(value, ast.Dict) or (
            isinstance(value, ast.Name) and self._named_literal(value) is not None
        )

    def _timeout_shape(self, call: ast.Call) -> str:
        value = next((k.value for k in call.keywords if k.arg == "timeout"), None)
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return "none"
        if isinstance(value, ast.Tuple) and len(value.elts) == 2:
            return "pair"
        number = isinstance(value, ast.Constant) and isinstance(value.value, (int, float))
        return "number" if number or self.type_of(value) in {"builtins.int", "builtins.float"} else "unknown"

    def _use(self, kind: str, node: ast.AST, bare: bool = False) -> None:
        self.uses.append(ResponseUse(kind, self.span_of(node), bare, self._awaitable(node)))

    def _awaitable(self, node: ast.AST) -> bool:
        while node is not self.function:
            parent = self.parents.get(id(node))
            if parent is None or isinstance(
                parent, ast.Lambda | ast.GeneratorExp | ast.FunctionDef | ast.AsyncFunctionDef
            ):
                return parent is self.function
            node = parent
        return True

    # -- where the call is ----------------------------------------------------------------

    def _statement(self, node: ast.AST) -> ast.stmt | None:
        while not isinstance(node, ast.stmt):
            parent = self.parents.get(id(node))
            if parent is None or isinstance(parent, (ast.Lambda, ast.comprehension)):
                return None
            node = parent
        return node

    def _statement_obstacle(self, call: ast.Call, statement: ast.stmt | None) -> str | None:
        if statement is None:
            return "the call is inside an expression where no client can be opened"
        if not isinstance(statement, _STATEMENTS):
            kind = type(statement).__name__.lower()
            return f"the call is part of a compound statement ({kind}), around which no client can be opened"
        others = [
            node
            for node in ast.walk(statement)
            if isinstance(node, ast.Call) and node is not call and self.is_http_call(node)
        ]
        if others:
            return "another HTTP call shares the statement"
        if not self._alone_on_its_lines(statement):
            return "the call's statement shares a line with another (`;` or a one-line block)"
        return None

    def _alone_on_its_lines(self, statement: ast.stmt) -> bool:
        """Nothing but indentation before the statement and a comment after it: the rewrite
        replaces whole lines, so ``x = 1; r = requests.get(u)`` or ``if c: r = ...`` can't move
        into a client block alone."""
        before = self.line_text(statement.lineno).encode()[: statement.col_offset]
        last = statement.end_lineno or statement.lineno
        after = self.line_text(last).encode()[statement.end_col_offset or 0 :].strip()
        return not before.strip() and (not after or after.startswith(b"#"))

    def _free_name(self, *wanted: str) -> str:
        for name in [*wanted, *(f"{wanted[-1]}_{n}" for n in range(2, 10))]:
            if name not in self.bindings and name not in self.taken_names:
                return name
        return f"{wanted[-1]}_async_migrate"

    def _response_name(self, call: ast.Call) -> str:
        parent = self.parents.get(id(call))
        if (
            isinstance(parent, ast.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Name)
        ):
            return parent.targets[0].id
        return self._free_name("response", "http_response")

    # -- arguments ------------------------------------------------------------------------

    def _requests_arguments(self, call: ast.Call, verb: str) -> str | None:
        positional = 2 if verb == "request" else 1
        if len(call.args) != positional or any(isinstance(a, ast.Starred) for a in call.args):
            return "only the URL (and the method) may be passed by position"
        url = call.args[-1]
        keywords: dict[str, ast.expr] = {}
        for keyword in call.keywords:
            if keyword.arg is None:
                return "**keywords hide which arguments are passed"
            if keyword.arg in _UNSUPPORTED_KEYWORDS:
                return _UNSUPPORTED_KEYWORDS[keyword.arg]
            if keyword.arg not in httpmap.REQUESTS_KEYWORDS:
                return f"{keyword.arg}= has no exact httpx equivalent"
            keywords[keyword.arg] = keyword.value
        if "data" in keywords and "json" in keywords:
            return "data= and json= together (requests sends data)"
        if "json" in keywords and isinstance(keywords.get("headers"), ast.Name):
            mapping = self._named_literal(keywords["headers"])  # type: ignore[arg-type]
            keys = [
                str(key.value).lower()
                for key in (mapping.keys if mapping else [])
                if isinstance(key, ast.Constant)
            ]
            if "content-type" not in keys:
                return "json= with headers= held in a variable (requests adds its Content-Type)"
        checks: dict[str, Callable[[ast.expr], str | None]] = {
            "params": lambda value: self._params(value, url),
            "data": self._data,
            "json": self._json,
            "headers": self._headers,
            "auth": self._auth,
            "verify": _verify,
            "cookies": lambda value: self._mapping(value, "cookies=")[1],
        }
        for name, value in keywords.items():
            problem = checks[name](value) if name in checks else None
            if problem:
                return problem
        return None

    def _httpx_arguments(self, call: ast.Call, verb: str) -> str | None:
        positional = 2 if verb == "request" else 1
        if len(call.args) != positional or any(isinstance(a, ast.Starred) for a in call.args):
            return "only the URL (and the method) may be passed by position"
        if any(keyword.arg is None for keyword in call.keywords):
            return "**keywords hide which arguments are passed"
        return None

    def _plain(self, value: ast.expr) -> bool:
        """A value both libraries encode alike: never None or a bool (requests drops None and
        writes ``True``; httpx writes ``key=`` and ``true``)."""
        if isinstance(value, ast.Constant):
            return isinstance(value.value, (str, int, float)) and not isinstance(value.value, bool)
        if isinstance(value, (ast.List, ast.Tuple)):
            return all(self._plain(item) for item in value.elts)
        return self.type_of(value) in _PLAIN_TYPES

    def _mapping(self, value: ast.expr, what: str) -> tuple[ast.Dict | None, str | None]:
        if isinstance(value, ast.Name):
            value = self._named_literal(value) or value
        if not isinstance(value, ast.Dict):
            return None, f"{what} is not a dict literal, so its values can't be checked"
        for key, item in zip(value.keys, value.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                return None, f"{what} has a key that is not a string literal"
            if not self._plain(item):
                return (
                    None,
                    f"{what}[{key.value!r}] may be None or a bool, which the libraries encode differently",
                )
        return value, None

    def _named_literal(self, name: ast.Name) -> ast.Dict | None:
        """``headers = {...}`` bound once and only ever passed to HTTP calls: as good as the
        literal itself (nothing can change it in between)."""
        values = self.bindings.get(name.id, [])
        if len(values) != 1 or not isinstance(values[0], ast.Dict):
            return None
        for node in self._reads(name.id):
            keyword = self.parents.get(id(node))
            call = self.parents.get(id(keyword))
            if not (
                isinstance(keyword, ast.keyword) and isinstance(call, ast.Call) and self.is_http_call(call)
            ):
                return None
        return values[0]

    def _params(self, value: ast.expr, url: ast.expr) -> str | None:
        problem = self._mapping(value, "params=")[1]
        if problem:
            return problem
        literal_parts = (
            [url]
            if isinstance(url, ast.Constant)
            else [part for part in url.values if isinstance(part, ast.Constant)]
            if isinstance(url, ast.JoinedStr)
            else None
        )
        if literal_parts is None or any("?" in str(part.value) for part in literal_parts):
            return "params= with a URL that may carry a query (requests appends to it, httpx replaces it)"
        return None

    def _data(self, value: ast.expr) -> str | None:
        if isinstance(value, ast.Dict) or (isinstance(value, ast.Name) and self._named_literal(value)):
            return self._mapping(value, "data=")[1]
        if isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes)):
            return None
        if isinstance(value, ast.JoinedStr) or self.type_of(value) in _BYTES_OR_STR:
            return None
        return "data= of a type the tool can't see (a str, bytes, dict and list of pairs map differently)"

    def _headers(self, value: ast.expr) -> str | None:
        mapping, problem = self._mapping(value, "headers=")
        if problem or mapping is None:
            return problem
        for item in mapping.values:
            evident = (isinstance(item, ast.Constant) and isinstance(item.value, str)) or isinstance(
                item, ast.JoinedStr
            )
            if not evident and self.type_of(item) != "builtins.str":
                return "headers= has a value that may not be a str (httpx rejects None and numbers)"
        return None

    def _auth(self, value: ast.expr) -> str | None:
        """A (user, password) pair of strings: the codemod encodes them as requests does."""
        if isinstance(value, ast.Tuple) and len(value.elts) == 2:
            if all(self.type_of(item) == "builtins.str" for item in value.elts):
                return None
            return "auth= holds values that may not be strings"
        return "auth= may be an auth object (a (user, password) tuple maps exactly)"

    # -- the response ---------------------------------------------------------------------

    def _response_obstacle(self, call: ast.Call, statement: ast.stmt | None) -> str | None:
        parent = self.parents.get(id(call))
        if isinstance(parent, ast.Expr):
            return None  # the response is dropped
        if isinstance(parent, ast.Assign) and parent.value is call and statement is parent:
            if len(parent.targets) != 1 or not isinstance(parent.targets[0], ast.Name):
                return "the response is unpacked or stored in something other than a local name"
            name = parent.targets[0].id
            if len(self.bindings.get(name, [])) != 1:
                return f"{name!r} is bound more than once in the function"
            for use in self._reads(name):
                problem = self._response_use(use, name)
                if problem:
                    return problem
            return None
        return self._response_use(call, "response")

    def _response_use(self, node: ast.expr, name: str) -> str | None:
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return self._attribute_use(parent, name)
        if self._is_condition(node):
            self._truth_use(node, "truth")
            return None
        if (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Name)
            and parent.func.id == "bool"
            and parent.args == [node]
        ):
            self._use("bool", parent, bare=self._is_condition(parent))
            return None
        how = "returned" if isinstance(parent, ast.Return) else "passed on or stored"
        return f"{name} is {how}; an httpx response reads differently (.url, .ok, bool(), .text...)"

    def _attribute_use(self, attribute: ast.Attribute, name: str) -> str | None:
        attr = attribute.attr
        parent = self.parents.get(id(attribute))
        called = isinstance(parent, ast.Call) and parent.func is attribute
        if attr == "json" and called and not parent.args and not parent.keywords:
            self._use("json", parent)
            return None
        if attr == "raise_for_status" and called and not parent.args:
            statement = self.parents.get(id(parent))
            if not isinstance(statement, ast.Expr) or not isinstance(attribute.value, ast.Name):
                return f"{name}.raise_for_status() is used as a value (httpx raises for 3xx too)"
            if not self._alone_on_its_lines(statement):
                return f"{name}.raise_for_status() shares a line with another statement"
            self._use("raise_for_status", statement)
            self.raise_sites.append(self.span_of(parent))
            return None
        if attr in {"status_code", "content"}:
            self._use(attr, attribute)
            return None
        if attr == "headers":
            lookup = isinstance(parent, ast.Subscript) and parent.value is attribute
            getter = isinstance(parent, ast.Attribute) and parent.attr == "get"
            if lookup or getter:
                return None
            return f"{name}.headers is used as a whole (httpx lowercases the names it lists)"
        if attr == "ok":
            self._truth_use(attribute, "ok")
            return None
        if attr in {"reason", "url", "is_redirect"}:
            self._use(attr, attribute)
            return None
        if attr == "history":
            counted = (
                isinstance(parent, ast.Call)
                and isinstance(parent.func, ast.Name)
                and parent.func.id in {"len", "bool"}
                and parent.args == [attribute]
            )
            if counted or self._is_condition(attribute):
                return None  # a list (aiohttp: a tuple) of as many responses
            return f"{name}.history: its items are the new client's responses, which read differently"
        hint = _RESPONSE_HINTS.get(attr, "it has no exact httpx equivalent")
        return f"{name}.{attr}: {hint}"

    def _truth_use(self, node: ast.expr, kind: str) -> None:
        """``r.ok`` / ``if r`` read ``not r.is_error``; under a ``not``, simply ``r.is_error``."""
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
            self._use("error", parent)
        else:
            self._use(kind, node, bare=self._is_condition(node))

    def _is_condition(self, node: ast.expr) -> bool:
        """Only the truth of ``node`` is used, so ``not r.is_error`` can stand in for it."""
        parent = self.parents.get(id(node))
        if isinstance(parent, _CONDITIONS) and parent.test is node:
            return True
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
            return True
        return isinstance(parent, ast.BoolOp) and self._is_condition(parent)


def _ascii_literal(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isascii()


def _verify(value: ast.expr) -> str | None:
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        return None
    return "verify= is not True or False (a CA bundle path needs an SSL context)"


def error_uses(handler: ast.ExceptHandler) -> tuple[tuple[str, ...], list[ast.expr]]:
    """How an ``except ... as e:`` body uses ``e``, for telling whether it reads the same on
    the new client's errors: ``args``, ``response.status_code`` (``response.headers[]`` for a
    lookup), ``type`` (``type(e)``), ``""`` (passed on as a whole); and the class arguments of
    its ``isinstance(e, X)`` checks, which must name the new client's errors too."""
    if not handler.name:
        return (), []
    parents = {
        id(child): node
        for statement in handler.body
        for node in ast.walk(statement)
        for child in ast.iter_child_nodes(node)
    }
    uses: set[str] = set()
    checks: list[ast.expr] = []
    for statement in handler.body:
        for node in ast.walk(statement):
            if not (isinstance(node, ast.Name) and node.id == handler.name):
                continue
            parent = parents.get(id(node))
            if isinstance(parent, ast.Attribute):
                uses.add(_attribute_chain(parent, parents))
            elif (
                isinstance(parent, ast.Call)
                and isinstance(parent.func, ast.Name)
                and parent.args[:1] == [node]
            ):
                if parent.func.id == "isinstance" and len(parent.args) == 2:
                    checks.append(parent.args[1])
                    continue
                uses.add("type" if parent.func.id == "type" else "")
            else:
                uses.add("")
    return tuple(sorted(uses)), checks


def _attribute_chain(attribute: ast.Attribute, parents: dict[int, ast.AST]) -> str:
    """``e.args`` -> ``args``; ``e.response.reason`` -> ``response.reason``; ``e.response``
    used whole -> ``response``, tested against None -> ``response is None``;
    ``e.response.headers["x"]`` -> ``response.headers[]``."""
    if attribute.attr != "response":
        return attribute.attr
    read = parents.get(id(attribute))
    if (
        isinstance(read, ast.Compare)
        and read.left is attribute
        and len(read.ops) == 1
        and isinstance(read.ops[0], ast.Is | ast.IsNot)
        and isinstance(read.comparators[0], ast.Constant)
        and read.comparators[0].value is None
    ):
        return "response is None"
    if not (isinstance(read, ast.Attribute) and read.value is attribute):
        return "response"
    after = parents.get(id(read))
    lookup = (isinstance(after, ast.Subscript) and after.value is read) or (
        isinstance(after, ast.Attribute) and after.attr == "get"
    )
    return f"response.{read.attr}" + ("[]" if read.attr == "headers" and lookup else "")


def remote_handlers(tree: ast.Module, words: frozenset[str]) -> list[ast.ExceptHandler]:
    """``except`` clauses that see the errors of code they don't call themselves: around
    ``await call_next(request)`` in a middleware or ``await self.app(scope, receive, send)`` in
    a pure ASGI one (every endpoint's errors pass through them), and around the ``yield`` of a
    generator (a ``yield`` dependency gets its endpoint's)."""
    if words.isdisjoint({"call_next", "receive", "yield"}):
        return []
    found: list[ast.ExceptHandler] = []
    _scan_statements(tree, set(), found)
    return found


def _scan_statements(node: ast.AST, parameters: set[str], found: list[ast.ExceptHandler]) -> None:
    """One pass over the statements (expressions hold no ``try``), knowing the parameters of
    the function they are in."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            _scan_statements(child, {arg.arg for arg in [*child.args.posonlyargs, *child.args.args]}, found)
        elif isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
            if isinstance(child, ast.Try | ast.TryStar) and any(
                _passes_control(inner, parameters)
                for statement in child.body
                for inner in ast.walk(statement)
            ):
                found.extend(child.handlers)
            _scan_statements(child, parameters, found)


def _passes_control(node: ast.AST, parameters: set[str]) -> bool:
    if isinstance(node, ast.Yield):
        return True
    if not isinstance(node, ast.Call):
        return False
    if "call_next" in parameters and isinstance(node.func, ast.Name) and node.func.id == "call_next":
        return True
    return "receive" in parameters and any(
        isinstance(argument, ast.Name) and argument.id == "receive" for argument in node.args
    )
