"""AM105 http-client: a blocking requests/httpx call becomes an awaited async client request.

The client is opened around the statement that holds the call and closed right after it, like
the throwaway session ``requests.get`` uses: no cookies carried between users, no client tied to
one event loop. Every client of a module shares one SSL context, built once at import, because
building one per client costs milliseconds of CPU on the loop. requests' defaults are spelled
out where httpx's differ::

    r = requests.get(url, params={"q": q})
    ->
    async with httpx.AsyncClient(
        verify=_SSL_CONTEXT, timeout=None, follow_redirects=True, max_redirects=30
    ) as client:
        r = await client.get(url, params={"q": q})

(the client's arguments are written on one line; the project's formatter lays them out).

and so are the response reads whose meaning differs (``r.ok`` -> ``not r.is_error``, ``r.url`` ->
``str(r.url)``, ``r.reason`` -> ``r.reason_phrase``, ``r.raise_for_status()`` only for 4xx/5xx,
``r.json()`` decoded by requests)
and the ``except`` clauses for requests' errors, which also catch the client's equivalents.
The index has already checked that every argument and use is one of these (``http_calls``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from ...codemods.imports import ImportChanges
from . import httpmap
from .edits import CatchAlso, HttpRequest, OpenSession, ResponseRead

if TYPE_CHECKING:
    from ..base import Rewriting
    from .targets import Target

_NO_SPACE = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)
_CLIENT_KEYWORDS_HTTPX = frozenset({"verify", "cert", "proxy", "trust_env", "timeout", "cookies"})
"""What ``httpx.get(...)`` hands to the ``Client`` it opens (the rest goes to the request)."""


def keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name), equal=_NO_SPACE)


def module_attribute(qualname: str, imports: ImportChanges) -> cst.Attribute:
    """``httpx.AsyncClient``, with the module under the name this file imports it by."""
    module, _, attribute = qualname.rpartition(".")
    return cst.Attribute(cst.Name(imports.module(module)), cst.Name(attribute))


def json_arguments(
    value: cst.BaseExpression,
    headers: cst.Arg | None,
    optional: bool,
    body_keyword: str,
    imports: ImportChanges,
) -> tuple[cst.Arg, cst.Arg]:
    """The body and headers requests sends for ``json=value``: ``json.dumps``' default spacing
    and ASCII escapes, NaN rejected, ``Content-Type: application/json``; for a name that may be
    None, neither when it is (``content=None if v is None else ...``)."""
    dumps = cst.Call(
        func=module_attribute("json.dumps", imports),
        args=[cst.Arg(value), keyword("allow_nan", cst.Name("False"))],
    )
    body: cst.BaseExpression = cst.Call(func=cst.Attribute(dumps, cst.Name("encode")))
    content_type = cst.Dict(
        [cst.DictElement(cst.SimpleString('"Content-Type"'), cst.SimpleString('"application/json"'))]
    )
    entry: cst.BaseDictElement = content_type.elements[0]
    if optional:
        is_none = cst.Comparison(value, [cst.ComparisonTarget(cst.Is(), cst.Name("None"))])
        body = cst.IfExp(test=is_none, body=cst.Name("None"), orelse=body)
        only_if = cst.IfExp(
            test=is_none,
            body=cst.Dict([]),
            orelse=content_type,
            lpar=[cst.LeftParen()],
            rpar=[cst.RightParen()],
        )
        entry = cst.StarredDictElement(only_if)
    return keyword(body_keyword, body), _json_content_type(headers, entry)


_REQUESTS_JSON = '''def {name}(response, body=None):
    """response.json() as requests decodes it: the charset the Content-Type names, else
    requests' defaults and guesses; a body that isn't JSON raises requests' JSONDecodeError."""
    decoded = {requests}.Response()
    decoded._content = response.content if body is None else body
    content_type = response.headers.get("Content-Type")
    if content_type is not None:
        decoded.headers["Content-Type"] = content_type
    decoded.encoding = {requests}.utils.get_encoding_from_headers(decoded.headers)
    return decoded.json()
'''


def requests_json(
    response: cst.BaseExpression, body: cst.BaseExpression | None, imports: ImportChanges
) -> cst.Call:
    """``r.json()`` of the new client's response (whose body, for aiohttp, is ``body``), decoded
    by requests itself (httpx and aiohttp ignore a charset the Content-Type names, requests
    decodes ``text/*`` without one as ISO-8859-1): the same value, or error, for every body."""
    requests = imports.module("requests")
    helper = imports.helper(
        "_requests_json", lambda name: _REQUESTS_JSON.format(name=name, requests=requests)
    )
    if isinstance(response, cst.Await):  # (await client.get(u)).json(): no parentheses needed
        response = response.with_changes(lpar=(), rpar=())
    args = [cst.Arg(response)] + ([cst.Arg(body)] if body is not None else [])
    return cst.Call(func=cst.Name(helper), args=args)


class ClientRequest:
    """The awaited request for one call, and the arguments of the client opened for it (none
    for a request on a session, whose client is opened by its ``with``: ``open_session``)."""

    def __init__(self, call: cst.Call, edit: HttpRequest, target: Target, imports: ImportChanges) -> None:
        self.edit = edit
        self.target = target
        self.imports = imports
        if edit.unused_import is not None:
            imports.drop(edit.unused_import)
        self.client_args: list[cst.Arg] = []
        positional = list(call.args[: 2 if edit.verb == "request" else 1])
        keywords = {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
        if edit.library == "httpx":
            request_args = self._from_httpx(keywords)
        else:
            if not edit.on_session:
                self.client_args = requests_client_args(keywords, edit.verb, self._ssl_context())
            request_args = self._from_requests(keywords)
        method, args = edit.verb, positional
        has_body = any(
            arg.keyword and arg.keyword.value in {"content", "data", "json"} for arg in request_args
        )
        if method in httpmap.BODYLESS_VERBS and has_body:
            method, args = "request", [cst.Arg(cst.SimpleString(f'"{edit.verb.upper()}"')), *positional]
        args = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in [*args, *request_args]]
        receiver = call.func.value if edit.on_session and isinstance(call.func, cst.Attribute) else None
        func = cst.Attribute(receiver or cst.Name(edit.client_name), cst.Name(method))
        self.awaited = cst.Await(expression=cst.Call(func=func, args=args))

    def _ssl_context(self) -> cst.BaseExpression:
        return shared_ssl_context(self.target, self.edit.ssl_context, self.imports)

    def _from_requests(self, keywords: dict[str, cst.Arg]) -> list[cst.Arg]:
        request: list[cst.Arg] = []
        if "params" in keywords:
            request.append(keywords["params"])
        if "data" in keywords:
            data = keywords["data"]
            request.append(data if self.edit.form else keyword("content", data.value))
        headers = keywords.get("headers")
        if "json" in keywords:
            edit = self.edit
            body, headers = json_arguments(
                keywords["json"].value, headers, edit.optional_json, "content", self.imports
            )
            request.append(body)
        if headers is not None:
            request.append(_latin1_values(headers.with_changes(keyword=cst.Name("headers"))))
        if "auth" in keywords:
            request.append(_latin1_credentials(keywords["auth"]))
        if self.edit.on_session:
            # the session's client follows redirects and has no timeout: only exceptions here
            if "timeout" in keywords:
                request.append(keywords["timeout"])
            redirects = keywords.get("allow_redirects")
            if redirects is not None:
                request.append(keyword("follow_redirects", redirects.value))
            elif self.edit.verb == "head":
                request.append(keyword("follow_redirects", cst.Name("False")))
        return request

    def _from_httpx(self, keywords: dict[str, cst.Arg]) -> list[cst.Arg]:
        if self.edit.on_session:
            return list(keywords.values())  # the same method of the async client
        self.client_args = httpx_client_args(keywords, self._ssl_context())
        return [arg for name, arg in keywords.items() if name not in _CLIENT_KEYWORDS_HTTPX]

    def client(self) -> cst.Call:
        return async_client(self.target, self.client_args, self.imports)


def shared_ssl_context(target: Target, name: str, imports: ImportChanges) -> cst.Name:
    """The module's one SSL context (and its transport imported up front, off the loop)."""
    assert target.transport is not None
    comment = f"noqa: F401 - {target.module} imports it on first use, on the loop"
    imports.need(target.transport, comment=comment)
    imports.constant(name, f"{name} = {imports.module(target.module)}.create_ssl_context()")
    return cst.Name(name)


def requests_client_args(
    keywords: dict[str, cst.Arg], verb: str, ssl_context: cst.BaseExpression
) -> list[cst.Arg]:
    """The client that behaves as requests does for this call (or, with no keywords and
    ``verb=""``, for a session): its SSL context, no timeout, 30 redirects followed."""
    verify = keywords.get("verify")
    args = [keyword("verify", cst.Name("False") if verify and is_false(verify.value) else ssl_context)]
    if "cookies" in keywords:
        args.append(keyword("cookies", keywords["cookies"].value))
    timeout = keywords.get("timeout")
    args.append(keyword("timeout", timeout.value if timeout else cst.Name("None")))
    redirects = keywords.get("allow_redirects")
    follow = redirects.value if redirects else cst.Name("False" if verb == "head" else "True")
    if not is_false(follow):
        args.append(keyword("follow_redirects", follow))
        args.append(keyword("max_redirects", cst.Integer(str(httpmap.REQUESTS_MAX_REDIRECTS))))
    return args


def httpx_client_args(keywords: dict[str, cst.Arg], ssl_context: cst.BaseExpression) -> list[cst.Arg]:
    """What httpx hands to the client it opens, with the shared SSL context for the default."""
    verify = keywords.get("verify")
    default_verify = verify is None or (isinstance(verify.value, cst.Name) and verify.value.value == "True")
    args = [keyword("verify", ssl_context)] if default_verify else []
    for name, arg in keywords.items():
        if name in _CLIENT_KEYWORDS_HTTPX and not (arg is verify and default_verify):
            args.append(arg)
    return args


def async_client(target: Target, args: list[cst.Arg], imports: ImportChanges) -> cst.Call:
    args = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in args]
    return cst.Call(func=module_attribute(f"{target.module}.AsyncClient", imports), args=args)


def open_session(statement: cst.With, edit: OpenSession, target: Target, imports: ImportChanges) -> cst.With:
    """``with requests.Session() as s:`` / ``with httpx.Client(...) as c:`` -> ``async with``
    the async client configured as the blocking one was."""
    item = statement.items[0]
    opened = item.item
    assert isinstance(opened, cst.Call)
    ssl_context = shared_ssl_context(target, edit.ssl_context, imports)
    keywords = {arg.keyword.value: arg for arg in opened.args if arg.keyword is not None}
    if edit.library == "requests":
        args = requests_client_args({}, "", ssl_context)
    else:
        args = httpx_client_args(keywords, ssl_context) + [
            arg for name, arg in keywords.items() if name not in _CLIENT_KEYWORDS_HTTPX
        ]
    client = async_client(target, args, imports)
    return statement.with_changes(items=[item.with_changes(item=client)], asynchronous=cst.Asynchronous())


_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.SimpleString, cst.FormattedString)


def _method(value: cst.BaseExpression, name: str, argument: str) -> cst.Call:
    """``value.name(argument)``, with ``value`` parenthesized unless it is an atom (``"Bearer "
    + token`` must not become ``"Bearer " + token.encode()``)."""
    if not isinstance(value, _ATOMS) and not value.lpar:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Call(func=cst.Attribute(value, cst.Name(name)), args=[cst.Arg(cst.SimpleString(argument))])


def _latin1(value: cst.BaseExpression) -> cst.BaseExpression:
    """requests (http.client) sends header values and Basic credentials as Latin-1; httpx takes
    str values as ASCII only, and bytes as they are."""
    if isinstance(value, cst.SimpleString) and str(value.evaluated_value).isascii():
        return value
    return _method(value, "encode", '"latin-1"')


def _header_value(value: cst.BaseExpression) -> cst.BaseExpression:
    """A header value as requests puts it on the wire, without the trailing spaces and tabs
    that httpx (h11) rejects and that RFC 9110 says are not part of the value (a recipient
    strips them). A value that *starts* with whitespace fails in both libraries."""
    literal = value.evaluated_value if isinstance(value, cst.SimpleString) else None
    if not (isinstance(literal, str) and literal == literal.rstrip(" \t")):
        value = _method(value, "rstrip", '" \\t"')
    return _latin1(value)


def _latin1_values(headers: cst.Arg) -> cst.Arg:
    mapping = headers.value
    if not isinstance(mapping, cst.Dict):
        return headers  # a dict bound to a name is encoded where it is written (Latin1Headers)
    return headers.with_changes(value=latin1_dict(mapping))


def latin1_dict(mapping: cst.Dict) -> cst.Dict:
    """Every value of a headers dict as requests would send it."""
    elements = [
        element.with_changes(value=_header_value(element.value))
        if isinstance(element, cst.DictElement)
        else element
        for element in mapping.elements
    ]
    return mapping.with_changes(elements=elements)


def _latin1_credentials(auth: cst.Arg) -> cst.Arg:
    """requests encodes Basic credentials as Latin-1, httpx as UTF-8: what isn't ASCII on its
    face is handed over as the bytes requests would send."""
    pair = auth.value
    assert isinstance(pair, cst.Tuple)
    elements = [element.with_changes(value=_latin1(element.value)) for element in pair.elements]
    return auth.with_changes(value=pair.with_changes(elements=elements))


def is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def _json_content_type(headers: cst.Arg | None, entry: cst.BaseDictElement) -> cst.Arg:
    """``headers=`` with requests' ``Content-Type`` for ``json=`` (``entry``), unless the
    headers name one."""
    if headers is None:
        return keyword("headers", cst.Dict([entry]))
    mapping = headers.value
    if isinstance(mapping, cst.Name):
        return headers  # a dict bound to a name: the index saw it already names a Content-Type
    assert isinstance(mapping, cst.Dict)  # the index only lets dict literals through
    keys = [
        str(element.key.evaluated_value).lower()
        for element in mapping.elements
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString)
    ]
    if "content-type" in keys:
        return headers
    elements = [*mapping.elements]
    if elements:
        elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return headers.with_changes(value=mapping.with_changes(elements=[*elements, entry]))


def request(call: cst.Call, edit: HttpRequest, target: Target, rewriting: Rewriting) -> cst.Await:
    """The awaited request; unless it is made on an open session, a client of its own is opened
    around the statement that holds it."""
    made = ClientRequest(call, edit, target, rewriting.imports)
    if not edit.on_session:
        rewriting.wrap_statement(edit.statement, lambda statement: open_client(statement, made))
    return made.awaited


def open_client(statement: cst.SimpleStatementLine, request: ClientRequest) -> cst.With:
    """``async with <target>.AsyncClient(...) as <name>:`` around the statement."""
    item = cst.WithItem(item=request.client(), asname=cst.AsName(cst.Name(request.edit.client_name)))
    inner = statement.with_changes(leading_lines=())
    return cst.With(
        items=[item],
        body=cst.IndentedBlock(body=[inner]),
        asynchronous=cst.Asynchronous(),
        leading_lines=statement.leading_lines,
    )


def _not_error(response: cst.BaseExpression, bare: bool) -> cst.BaseExpression:
    """requests' ``ok`` (and truth) is ``status < 400``; httpx's ``is_error`` is 400-599."""
    test = cst.UnaryOperation(cst.Not(), cst.Attribute(response, cst.Name("is_error")))
    return test if bare else test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def read_response(node: cst.BaseExpression, edit: ResponseRead, imports: ImportChanges) -> cst.BaseExpression:
    if edit.kind == "error":  # not r / not r.ok
        assert isinstance(node, cst.UnaryOperation)
        operand = node.expression
        response = operand.value if isinstance(operand, cst.Attribute) else operand
        return cst.Attribute(response.with_changes(lpar=(), rpar=()), cst.Name("is_error"))
    if edit.kind == "truth":
        return _not_error(node.with_changes(lpar=(), rpar=()), edit.bare)
    if edit.kind == "bool":
        assert isinstance(node, cst.Call)
        return _not_error(node.args[0].value, edit.bare)
    if edit.kind == "json":
        assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
        return requests_json(node.func.value, None, imports)
    assert isinstance(node, cst.Attribute)
    if edit.kind == "ok":
        return _not_error(node.value, edit.bare)
    if edit.kind == "url":
        return cst.Call(func=imports.builtin("str"), args=[cst.Arg(node.with_changes(lpar=(), rpar=()))])
    return node.with_changes(attr=cst.Name(httpmap.RESPONSE_RENAMES[edit.kind]))


def raise_for_error_status(statement: cst.SimpleStatementLine) -> cst.If:
    """requests raises for 4xx/5xx only; httpx's ``raise_for_status`` also raises for 1xx/3xx."""
    expression = statement.body[0]
    assert isinstance(expression, cst.Expr) and isinstance(expression.value, cst.Call)
    method = expression.value.func
    assert isinstance(method, cst.Attribute)
    return cst.If(
        test=cst.Attribute(method.value, cst.Name("is_error")),
        body=cst.IndentedBlock(body=[statement.with_changes(leading_lines=())]),
        leading_lines=statement.leading_lines,
    )


def catch_also(node: cst.BaseExpression, edit: CatchAlso, imports: ImportChanges) -> cst.Tuple:
    """``except requests.HTTPError`` -> ``except (requests.HTTPError, httpx.HTTPStatusError)``."""
    existing = list(node.elements) if isinstance(node, cst.Tuple) else [cst.Element(node)]
    added = []
    for name in edit.also:
        added.append(cst.Element(module_attribute(name, imports)))
    elements = [element.with_changes(comma=cst.MaybeSentinel.DEFAULT) for element in [*existing, *added]]
    return cst.Tuple(elements=elements)
