"""A service whose blocking work hides where a name-only analysis calls it safe (issue 14, items
1-4): objects kept on ``app.state`` and ``request.state``, a thread lock around a sleep,
blocking callables handed to ``sorted``/``map``, and a pure recursive helper.

``tests/test_blocking_holds.py`` migrates it, compares every answer before and after with the
migrated app under blockbuster, and serves the migrated app with uvicorn to send concurrent
requests. Files are read from ``HELD_DATA``.
"""

import os
import sqlite3
import threading
import time
from pathlib import Path

from fastapi import FastAPI, Request

DATA = Path(os.environ.get("HELD_DATA", "."))

app = FastAPI()
app.state.db = sqlite3.connect(":memory:", check_same_thread=False)
app.state.db.execute("create table items (name text)")
app.state.db.executemany("insert into items values (?)", [("pear",), ("apple",)])
app.state.gate = threading.Event()
_lock = threading.Lock()
_served = {"count": 0}


class Files:
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, name: str) -> str:
        with open(self.root / name) as handle:
            return handle.read()

    def read_all(self, names: list[str]) -> list[str]:
        return list(map(self.read, names))


files = Files(DATA)


@app.middleware("http")
async def attach_files(request: Request, call_next):
    request.state.files = files
    return await call_next(request)


def size(name: str) -> int:
    return os.path.getsize(DATA / name)


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@app.get("/items")
def items(request: Request):
    # a sqlite connection kept on the app: its calls block whatever holds it
    return [row[0] for row in request.app.state.db.execute("select name from items order by name").fetchall()]


@app.get("/file/{name}")
def file(name: str, request: Request):
    return {"text": request.state.files.read(name)}


@app.get("/wait")
def wait(request: Request):
    # waits for /open: on the event loop, /open could never run
    opened = request.app.state.gate.wait(4)
    request.app.state.gate.clear()
    return {"opened": opened}


@app.get("/open")
def open_gate(request: Request):
    request.app.state.gate.set()
    return {}


@app.get("/locked")
def locked(delay: float = 0.2):
    # converted, the sleep would be awaited with the lock held, and a second request would wait
    # for the lock on the event loop
    with _lock:
        time.sleep(delay)
        _served["count"] += 1
        return {"served": _served["count"]}


@app.get("/sizes")
def sizes(names: str):
    return sorted(names.split(","), key=size)


@app.get("/contents")
def contents(names: str):
    return files.read_all(names.split(","))


@app.get("/fib/{n}")
def fibonacci(n: int):
    time.sleep(0.01)
    return {"fib": fib(n)}
