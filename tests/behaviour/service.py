"""A service exercising every rewrite; the behaviour test runs it before and after migration.

It reads ``BEHAVIOUR_UPSTREAM`` and ``BEHAVIOUR_DATA`` from the environment.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from time import sleep

import requests
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import StreamingResponse

app = FastAPI()
UPSTREAM = os.environ.get("BEHAVIOUR_UPSTREAM", "http://127.0.0.1:9")
DATA = os.environ.get("BEHAVIOUR_DATA", "/nonexistent")


def data_path(name: str) -> str:
    return os.path.join(DATA, name)


def list_data() -> list[str]:
    return sorted(os.listdir(DATA))


def scratch():
    path = tempfile.mkdtemp()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def paging(limit: int = 10, offset: int = 0):
    return {"limit": limit, "offset": offset}


@app.get("/sleep")
def sleep_literal():
    time.sleep(0.01)
    return {"slept": True}


@app.get("/annotated-local")
def annotated_local():
    # a local variable's annotation is never evaluated (PEP 526): nothing here runs `false`
    status: subprocess.check_output(["false"]) = "not run"
    sleep(0.01)
    return {"status": status}


@app.get("/sleep/{delay}")
def sleep_dynamic(delay: float):
    sleep(delay)  # a negative delay must still fail
    return {"slept": delay}


@app.get("/files")
def files():
    return {"files": list_data(), "exists": os.path.exists(data_path("a.txt"))}


@app.get("/files/{name}")
def read_file(name: str):
    if not os.path.exists(data_path(name)):
        raise HTTPException(status_code=404, detail="no such file")
    with open(data_path(name), encoding="utf-8") as fh:
        first = fh.readline().strip()
        rest = fh.read()
    return {"first": first, "rest_lines": len(rest.splitlines())}


@app.get("/first-line/{name}")
def first_line(name: str):
    if "/" in name:
        return {"error": "bad name"}
    with open(data_path(name), encoding="utf-8") as fh:
        return {"line": fh.readline().strip()}


@app.get("/total")
def total_lines():
    total = 0
    for name in list_data():
        with open(data_path(name), encoding="utf-8") as fh:
            total += len(fh.readlines())
    return {"total": total}


@app.get("/whole/{name}")
def whole(name: str):
    text = open(data_path(name), encoding="utf-8").read()
    return {"length": len(text)}


@app.get("/python")
def python_version():
    proc = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True, check=True)
    return {"out": proc.stdout.strip()}


@app.post("/hash/{password}")
def hash_password(password: str):
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), b"salt", 1000)
    return {"hash": digest.hex()}


@app.get("/upstream/{item_id}")
def upstream(item_id: int):
    try:
        resp = requests.get(f"{UPSTREAM}/items/{item_id}", timeout=5)
        resp.raise_for_status()
    except requests.HTTPError as exc:
        raise HTTPException(status_code=exc.response.status_code, detail="upstream error") from exc
    return {"item": resp.json(), "ok": resp.ok}


@app.post("/scratch")
def use_scratch(workdir: str = Depends(scratch)):
    with open(os.path.join(workdir, "x.txt"), "w", encoding="utf-8") as fh:
        fh.write("hello")
    return {"size": os.path.getsize(os.path.join(workdir, "x.txt")), "listed": os.listdir(workdir)}


@app.get("/page")
def page(p: dict = Depends(paging)):
    return {"page": p, "default": paging()}


@app.get("/already-async")
async def already_async():
    time.sleep(0.01)
    return {"exists": os.path.isdir(DATA)}


def ticks(count: int):
    for n in range(count):
        time.sleep(0.001)
        yield f"{n}\n"


@app.get("/ticks")
def stream_ticks(count: int = 3):
    return StreamingResponse(ticks(count), media_type="text/plain")


@app.get("/stream-file/{name}")
def stream_file(name: str):
    def chunks():
        with open(data_path(name), "rb") as handle:
            yield from handle

    return StreamingResponse(chunks(), media_type="text/plain")
