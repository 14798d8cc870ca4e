"""One fast pass over the project with stdlib ``ast``: who defines what, who calls what.

The index turns source into facts (``facts.py``) and makes no decision. It resolves names the
way Python would at run time, as far as static text allows: imports and aliases, re-exports in
``__init__.py``, module globals, classes and their methods, and the types of local values where
they are evident (literals, annotations, constructors, catalog return types). Whatever it
cannot name it reports as unknown, never as safe.

Its type tests take tuples, never ``A | B``: a union is built anew at each test, which cost 4 %
of a run's instructions.

The package is split along the passes: ``tables`` (one module's bindings), ``names`` (resolution
across modules), ``scopes`` (one function's bindings and local types), ``calls``, ``blocks``
(``with`` blocks), ``entrypoints`` (what FastAPI calls), ``functions`` (one function's facts put
together) and ``build`` (the whole index); ``constants`` and ``syntax`` are shared by all.
"""

from .build import ProjectIndex, build_index
from .names import Project
from .tables import ModuleTable, module_name_for

__all__ = ["ModuleTable", "Project", "ProjectIndex", "build_index", "module_name_for"]
