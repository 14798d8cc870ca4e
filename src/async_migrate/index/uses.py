"""How often a module uses a name, for dropping an import once its every use is rewritten.

The text answers first, without walking the tree: each use is a word of it that no import
statement holds, so the words outside imports bound the uses (most names asked about are used
only where they are rewritten, and the walk of a large module is what costs).
"""

from __future__ import annotations

import ast
import re
from collections import Counter

from .syntax import _walk
from .tables import ModuleTable, _import_words, _top_level_statements


class ModuleNameUses:
    """``NameUses`` of one module of the index, the tree walked at most once."""

    def __init__(self, module: ModuleTable) -> None:
        self._module = module
        self._counts: Counter[str] | None = None

    def more_than(self, name: str, count: int) -> bool:
        module = self._module
        words = len(re.findall(rf"(?<!\w){re.escape(name)}(?!\w)", module.source.text))
        in_imports = sum(
            _import_words(statement).count(name)
            for statement in _top_level_statements(module.tree.body)
            if isinstance(statement, (ast.Import, ast.ImportFrom))
        )
        return words - in_imports > count and self.counts()[name] > count

    def counts(self) -> Counter[str]:
        """How often each name occurs in the module (``__all__`` entries included)."""
        if self._counts is None:
            tree = self._module.tree
            counts = Counter(node.id for node in _walk(tree) if isinstance(node, ast.Name))
            exported = tree.body and [
                node.value
                for statement in tree.body
                if isinstance(statement, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets)
                for node in ast.walk(statement.value)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            ]
            counts.update(exported or [])
            self._counts = counts
        return self._counts
