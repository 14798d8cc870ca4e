"""The HTTP swap's codemods, by edit type: each finds the target (``targets.TARGETS``) its edit
names and hands the node to that client's codemod; the rest are the same for every target."""

from __future__ import annotations

import libcst as cst

from ..base import Rewriting
from .edits import CatchAlso, HttpRequest, Latin1Headers, OpenSession, ResponseRead
from .httpx_codemods import catch_also, latin1_dict, raise_for_error_status
from .targets import TARGETS, of_family


def http_request(call: cst.Call, edit: HttpRequest, rewriting: Rewriting) -> cst.BaseExpression:
    target = TARGETS[edit.target]
    return target.codemods.request(call, edit, target, rewriting)


def open_session(statement: cst.With, edit: OpenSession, rewriting: Rewriting) -> cst.With:
    if edit.unused_import is not None:
        rewriting.imports.drop(edit.unused_import)
    target = TARGETS[edit.target]
    return target.codemods.open_session(statement, edit, target, rewriting.imports)


def response_read(node: cst.CSTNode, edit: ResponseRead, rewriting: Rewriting) -> cst.CSTNode:
    """A read of the response of the client the call was translated for; ``raise_for_status()``
    is a statement of its own."""
    if edit.kind == "raise_for_status":
        assert isinstance(node, cst.SimpleStatementLine)
        return raise_for_error_status(node)
    return of_family(edit.family).codemods.read_response(node, edit, rewriting.imports)


def latin1_headers(node: cst.Dict, edit: Latin1Headers, rewriting: Rewriting) -> cst.Dict:
    """The dict's values are all that changes: no import, nothing read from the edit."""
    return latin1_dict(node)


def also_catch(node: cst.BaseExpression, edit: CatchAlso, rewriting: Rewriting) -> cst.Tuple:
    return catch_also(node, edit, rewriting.imports)


CODEMODS = {
    HttpRequest: http_request,
    OpenSession: open_session,
    ResponseRead: response_read,
    Latin1Headers: latin1_headers,
    CatchAlso: also_catch,
}
