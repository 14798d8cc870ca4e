"""Shared FastAPI dependencies."""

import shutil
import tempfile


def scratch_dir():
    # private working directory for one request, removed again afterwards
    path = tempfile.mkdtemp(prefix="legacy-scratch-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
