"""Print a pip constraints file that pins each runtime dependency to the lower bound
``pyproject.toml`` declares, so that CI can prove those bounds rather than assume them."""

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
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([^,]+)", requirement)
        if found is None:
            sys.exit(f"no lower bound to test in {requirement!r}")
        print(f"{found[1]}=={found[2]}")


if __name__ == "__main__":
    main()
