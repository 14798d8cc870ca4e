"""SQLAlchemy and SQLModel relationships: the attributes whose read may run a query.

Reading a relationship of a mapped instance (``user.organizations``) loads it from the
database the first time, and again after the session expired it (every commit, by default):
a blocking query hidden in an attribute read. So does writing it (the old value is loaded to
keep the other side in step). The tool never converts a function that touches one, whatever
the relationship's ``lazy=`` strategy says, since an expired eager relationship loads too.

The relationships are found in the project's own classes, by text, without importing them:
``relationship()`` / ``Relationship()`` / ``association_proxy()`` assignments in a class body,
the ``backref=`` names they create on the other class, and those of the project base classes.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index import ModuleTable, Project

RELATIONSHIP_FACTORIES = frozenset(
    {
        "sqlalchemy.orm.relationship",
        "sqlalchemy.orm.relation",
        "sqlalchemy.orm.dynamic_loader",
        "sqlalchemy.orm.relationships.relationship",
        "sqlalchemy.ext.associationproxy.association_proxy",
        "sqlmodel.Relationship",
        "sqlmodel.main.Relationship",
    }
)
BACKREF_FACTORIES = frozenset({"sqlalchemy.orm.backref"})
_WORDS = ("relationship", "Relationship", "relation", "dynamic_loader", "association_proxy")
"""A module holding none of these words declares no relationship (the cheap test first)."""


def relationships(project: Project) -> dict[str, frozenset[str]]:
    """Project class -> the relationship attributes of its instances (inherited ones included)."""
    own: dict[str, set[str]] = {}
    by_short_name: dict[str, list[str]] = {}
    for qualname in project.classes:
        by_short_name.setdefault(qualname.rpartition(".")[2], []).append(qualname)
    for qualname, info in project.classes.items():
        if info.module.identifiers.isdisjoint(_WORDS):
            continue
        node = info.module.defs.get(qualname.rpartition(".")[2])
        if not isinstance(node, ast.ClassDef):
            continue
        for name, call in _relationship_calls(project, info.module, node):
            own.setdefault(qualname, set()).add(name)
            backref = _backref_name(project, info.module, call)
            if backref is not None:
                for target in _targets(project, info.module, call, by_short_name):
                    own.setdefault(target, set()).add(backref)
    found: dict[str, frozenset[str]] = {}

    def inherited(qualname: str, seen: frozenset[str]) -> frozenset[str]:
        if qualname not in found:
            names = set(own.get(qualname, ()))
            for base in project.classes[qualname].bases:
                if base in project.classes and base not in seen:
                    names |= inherited(base, seen | {qualname})
            found[qualname] = frozenset(names)
        return found[qualname]

    for qualname in project.classes:
        inherited(qualname, frozenset())
    return {qualname: names for qualname, names in found.items() if names}


def _relationship_calls(
    project: Project, module: ModuleTable, node: ast.ClassDef
) -> Iterator[tuple[str, ast.Call]]:
    """``name = relationship(...)`` and ``name: Mapped[...] = relationship(...)`` in a class body."""
    for statement in node.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        if isinstance(value, ast.Call) and project.qualname(value.func, module) in RELATIONSHIP_FACTORIES:
            for target in targets:
                if isinstance(target, ast.Name):
                    yield target.id, value


def _backref_name(project: Project, module: ModuleTable, call: ast.Call) -> str | None:
    """``backref="name"`` or ``backref=backref("name", ...)``: the attribute made on the other class."""
    value = next((keyword.value for keyword in call.keywords if keyword.arg == "backref"), None)
    if isinstance(value, ast.Call) and project.qualname(value.func, module) in BACKREF_FACTORIES:
        value = value.args[0] if value.args else None
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None


def _targets(
    project: Project, module: ModuleTable, call: ast.Call, by_short_name: Mapping[str, list[str]]
) -> list[str]:
    """The class a relationship points to: named, or spelled as a string (``"Event"``,
    ``"app.models.Event"``), then every project class of that name. When it can't be told,
    every class, since reading an unknown relationship must not look safe."""
    argument = call.args[0] if call.args else None
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return by_short_name.get(argument.value.rpartition(".")[2], [])
    if isinstance(argument, (ast.Name, ast.Attribute)):
        qualname = project.qualname(argument, module)
        if qualname in project.classes:
            return [qualname]
    return list(project.classes)
