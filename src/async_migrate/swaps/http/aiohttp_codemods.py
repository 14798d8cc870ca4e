"""AM105 http-client, aiohttp target: a blocking requests call becomes an awaited aiohttp request.

A session is opened around the statement, and the body is read inside it (aiohttp reads it
lazily; requests has read it by the time the call returns), so the response can be used after
the block as before. aiohttp's defaults are overridden where requests' differ: no total timeout
(aiohttp's is 5 minutes), 30 redirects (aiohttp stops at 10), no Content-Type for a str or bytes
body, proxies and credentials from the environment (``trust_env``)::

    r = requests.get(url, timeout=5)
    ->
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=5)
    ) as client:
        r = await client.get(url, max_redirects=31)
        await r.read()

Response reads that aiohttp spells differently follow: ``r.status_code`` -> ``r.status``,
``r.content`` -> ``await r.read()``, ``r.json()`` -> requests' own decoding of ``await r.read()``
(aiohttp's ``json()`` checks the content type and returns None for an empty body), ``bool(r)`` ->
``r.ok``, ``r.url`` -> ``str(r.url)``. ``r.ok``, ``r.reason``, ``r.headers[...]`` and
``r.raise_for_status()`` (4xx/5xx) mean the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from ...codemods.imports import ImportChanges
from . import httpmap
from .edits import HttpRequest, OpenSession, ResponseRead
from .httpx_codemods import is_false, json_arguments, keyword, module_attribute, requests_json

if TYPE_CHECKING:
    from ..base import Rewriting
    from .targets import Target


class SessionRequest:
    """The awaited aiohttp request, and the session around it, for one requests call."""

    def __init__(self, call: cst.Call, edit: HttpRequest, imports: ImportChanges) -> None:
        self.edit = edit
        self.imports = imports
        if edit.unused_import is not None:
            imports.drop(edit.unused_import)
        positional = list(call.args[: 2 if edit.verb == "request" else 1])
        keywords = {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
        request_args = self._request_args(keywords)
        timeout = self._timeout(keywords.get("timeout"))
        self.session: cst.Call | None = None
        """The session opened for this request alone (none on an open session)."""
        if edit.on_session:
            receiver = call.func.value if isinstance(call.func, cst.Attribute) else cst.Name(edit.client_name)
            if "timeout" in keywords:
                request_args.append(keyword("timeout", timeout))
        else:
            receiver = cst.Name(edit.client_name)
            self.session = session(timeout, [keywords["cookies"]] if "cookies" in keywords else [], imports)
        args = [*positional, *request_args]
        args = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in args]
        func = cst.Attribute(receiver, cst.Name(edit.verb))
        self.awaited = cst.Await(expression=cst.Call(func=func, args=args))

    def _timeout(self, timeout: cst.Arg | None) -> cst.Call:
        """requests' timeout bounds the connect and each read; it has no total deadline."""
        args = [keyword("total", cst.Name("None"))]
        value = timeout.value if timeout is not None else None
        if isinstance(value, cst.Tuple):
            connect, read = (element.value for element in value.elements)
            args += [keyword("sock_connect", connect), keyword("sock_read", read)]
        elif value is not None and not (isinstance(value, cst.Name) and value.value == "None"):
            args += [keyword("sock_connect", value), keyword("sock_read", value)]
        return cst.Call(func=module_attribute("aiohttp.ClientTimeout", self.imports), args=args)

    def _request_args(self, keywords: dict[str, cst.Arg]) -> list[cst.Arg]:
        request: list[cst.Arg] = []
        if "params" in keywords:
            request.append(keywords["params"])
        headers = keywords.get("headers")
        if "data" in keywords:
            request.append(keywords["data"])
        if "json" in keywords:
            edit = self.edit
            body, headers = json_arguments(
                keywords["json"].value, headers, edit.optional_json, "data", self.imports
            )
            request.append(body)
        if ("data" in keywords and not self.edit.form) or ("json" in keywords and self.edit.optional_json):
            # requests sends a str or bytes body, or none (json=None), without a Content-Type;
            # aiohttp would add one
            request.append(keyword("skip_auto_headers", cst.parse_expression('["Content-Type"]')))
        if headers is not None:
            request.append(headers.with_changes(keyword=cst.Name("headers")))
        redirects = keywords.get("allow_redirects")
        if redirects is not None:
            request.append(redirects)
        follows = redirects is None and self.edit.verb != "head"
        if follows or (redirects is not None and not is_false(redirects.value)):
            request.append(keyword("max_redirects", cst.Integer(str(httpmap.AIOHTTP_MAX_REDIRECTS))))
        verify = keywords.get("verify")
        if verify is not None and is_false(verify.value):
            request.append(keyword("ssl", cst.Name("False")))
        return request

    def replacement(self) -> cst.Name:
        """What stands where the call was: the response, read by then."""
        return cst.Name(self.edit.response_name)


def session(timeout: cst.BaseExpression, extra: list[cst.Arg], imports: ImportChanges) -> cst.Call:
    """A session that behaves as requests does: requests' timeouts, proxies and credentials
    from the environment (``trust_env``: HTTP(S)_PROXY, NO_PROXY, ~/.netrc), and cookies kept
    from hosts given by IP address too (aiohttp's default jar drops those)."""
    jar = cst.Call(module_attribute("aiohttp.CookieJar", imports), [keyword("unsafe", cst.Name("True"))])
    args = [
        keyword("timeout", timeout),
        keyword("trust_env", cst.Name("True")),
        keyword("cookie_jar", jar),
        *extra,
    ]
    args = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in args]
    return cst.Call(func=module_attribute("aiohttp.ClientSession", imports), args=args)


def request(call: cst.Call, edit: HttpRequest, target: Target, rewriting: Rewriting) -> cst.Name:
    """The response, fetched and its body read by statements put before the one that holds
    the call, in a session opened for it unless it is made on an open session."""
    made = SessionRequest(call, edit, rewriting.imports)
    rewriting.wrap_statement(edit.statement, lambda statement: fetch_and_read(statement, made))
    return made.replacement()


def open_session(statement: cst.With, edit: OpenSession, target: Target, imports: ImportChanges) -> cst.With:
    """``with requests.Session() as s:`` -> ``async with aiohttp.ClientSession(...) as s:``."""
    no_total = [keyword("total", cst.Name("None"))]
    opened = session(cst.Call(module_attribute("aiohttp.ClientTimeout", imports), no_total), [], imports)
    item = statement.items[0].with_changes(item=opened)
    return statement.with_changes(items=[item], asynchronous=cst.Asynchronous())


def fetch_and_read(
    statement: cst.SimpleStatementLine, request: SessionRequest
) -> cst.With | cst.FlattenSentinel[cst.BaseStatement]:
    """The request, the body read, then the statement (unless it only assigned the response);
    inside a session opened for it, unless it is a request of an open session."""
    name = request.edit.response_name
    fetch = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], request.awaited)])
    read = cst.SimpleStatementLine([cst.Expr(cst.parse_expression(f"await {name}.read()"))])
    body: list[cst.BaseStatement] = [fetch, read]
    small = statement.body[0] if len(statement.body) == 1 else None
    value = small.value if isinstance(small, cst.Assign | cst.Expr) else None
    is_response = isinstance(value, cst.Name) and value.value == name
    targets = small.targets if isinstance(small, cst.Assign) else []
    # ``r = requests.get(...)`` and a dropped ``requests.post(...)`` need nothing more
    only_fetches = is_response and all(
        isinstance(target.target, cst.Name) and target.target.value == name for target in targets
    )
    if not only_fetches:
        body.append(statement.with_changes(leading_lines=()))
    opened = request.session
    if opened is None:
        body[0] = body[0].with_changes(leading_lines=statement.leading_lines)
        return cst.FlattenSentinel(body)
    return cst.With(
        items=[cst.WithItem(item=opened, asname=cst.AsName(cst.Name(request.edit.client_name)))],
        body=cst.IndentedBlock(body=body),
        asynchronous=cst.Asynchronous(),
        leading_lines=statement.leading_lines,
    )


def read_response(node: cst.BaseExpression, edit: ResponseRead, imports: ImportChanges) -> cst.BaseExpression:
    if edit.kind == "status_code":
        assert isinstance(node, cst.Attribute)
        return node.with_changes(attr=cst.Name("status"))
    if edit.kind == "content":
        assert isinstance(node, cst.Attribute)
        return _read_body(node.value)
    if edit.kind == "json":
        assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
        return requests_json(node.func.value, _read_body(node.func.value), imports)
    if edit.kind == "url":
        return cst.Call(func=imports.builtin("str"), args=[cst.Arg(node.with_changes(lpar=(), rpar=()))])
    if edit.kind == "error":  # not r -> not r.ok; not r.ok stays
        assert isinstance(node, cst.UnaryOperation)
        operand = node.expression
        if isinstance(operand, cst.Attribute):
            return node
        return node.with_changes(expression=cst.Attribute(operand, cst.Name("ok")))
    if edit.kind == "bool":
        assert isinstance(node, cst.Call)
        return cst.Attribute(node.args[0].value, cst.Name("ok"))
    # truth: if r -> if r.ok (aiohttp's response has no __bool__)
    return cst.Attribute(node.with_changes(lpar=(), rpar=()), cst.Name("ok"))


def _read_body(response: cst.BaseExpression) -> cst.Await:
    return cst.Await(expression=cst.Call(func=cst.Attribute(response, cst.Name("read"))))
