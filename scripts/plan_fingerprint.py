#!/usr/bin/env python
"""Print the plan async-migrate makes for each path: every decision and every edit, in a stable
order, so that two versions of the tool can be compared byte for byte before a change that must
not change behaviour (a speed-up, a refactoring) is trusted.

    PYTHONHASHSEED=0 python scripts/plan_fingerprint.py docs_src tests > after.txt
    git stash; PYTHONHASHSEED=0 python scripts/plan_fingerprint.py docs_src tests > before.txt
    cmp before.txt after.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

from async_migrate.config import find_config, load_settings
from async_migrate.runner import migrate


def main(targets: list[str]) -> None:
    for target in targets:
        path = Path(target)
        result = migrate([path], load_settings(find_config(path)), rewrite=False)
        print(f"## {target}")
        for decision in result.plan.decisions:
            print("D", repr(decision))
        for changed, edits in sorted(result.plan.edits.items()):
            print("E", changed, repr(edits))
        for error in result.errors:
            print("X", repr(error))


if __name__ == "__main__":
    main(sys.argv[1:])
