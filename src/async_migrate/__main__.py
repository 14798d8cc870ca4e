"""``python -m async_migrate``.

Python puts the working directory first on ``sys.path`` for ``-m``, where a project's own
``typer.py`` or ``ast.py`` would shadow the modules the tool imports (and run the project's code,
which the tool never does). It is taken off before anything else is imported.
"""

import os
import sys

if not sys.flags.safe_path and sys.path and sys.path[0] in {"", os.getcwd()}:
    del sys.path[0]

from async_migrate.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
