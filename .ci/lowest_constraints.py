"""Print a pip constraints file that pins each runtime dependency to the lower bound
``pyproject.toml`` declares, so that CI can prove those bounds rather than assume them.

Run on the Python CI uses (3.11 or newer: ``tomllib``); a dependency with an environment marker,
a backport for older Pythons, doesn't apply there and is left out."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib


def main() -> None:
    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        if ";" in requirement:
            continue  # a backport for older Pythons than CI runs
        name = re.match(r"\s*([A-Za-z0-9_.-]+)", requirement)
        bound = re.search(r">=\s*([^,\s]+)", requirement)
        if name is None or bound is None:
            sys.exit(f"no lower bound to test in {requirement!r}")
        print(f"{name[1]}=={bound[1]}")


if __name__ == "__main__":
    main()
