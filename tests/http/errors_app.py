"""A sync FastAPI app that turns upstream failures into status codes where the tool doesn't
look at a call's own except clauses: middlewares (``call_next``, pure ASGI), a ``yield`` dependency
around ``yield``, ``isinstance`` inside ``except Exception``, the error's class name, the
error's response. The test migrates this file and compares both versions' answers."""

import requests
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

app = FastAPI()
UPSTREAM = "http://127.0.0.1:9"
REFUSED = "http://127.0.0.1:9"


class GatewayTimeout:
    """A pure ASGI middleware: an upstream timeout becomes a 504."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        except requests.Timeout:
            await JSONResponse({"error": "upstream timeout"}, status_code=504)(scope, receive, send)


app.add_middleware(GatewayTimeout)


@app.middleware("http")
async def upstream_unreachable(request: Request, call_next):
    try:
        return await call_next(request)
    except requests.ConnectionError:
        return JSONResponse({"error": "upstream unreachable"}, status_code=502)


def upstream_errors():
    try:
        yield
    except requests.HTTPError:
        raise HTTPException(503, "upstream failed") from None


@app.get("/refused")
def refused():
    requests.get(f"{REFUSED}/", timeout=5)
    return {"reached": True}


@app.get("/slow")
def slow():
    requests.get(f"{UPSTREAM}/slow", timeout=0.3)
    return {"reached": True}


@app.get("/checked/{code}", dependencies=[Depends(upstream_errors)])
def checked(code: int):
    r = requests.get(f"{UPSTREAM}/status/{code}", timeout=5)
    r.raise_for_status()
    return {"status": r.status_code}


@app.get("/isinstance")
def isinstance_check():
    try:
        requests.get(f"{REFUSED}/", timeout=5)
    except Exception as exc:
        if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return JSONResponse({"error": "unreachable"}, status_code=503)
        raise
    return {"reached": True}


@app.get("/status-detail/{code}")
def status_detail(code: int):
    try:
        r = requests.get(f"{UPSTREAM}/status/{code}", timeout=5)
        r.raise_for_status()
    except requests.HTTPError as exc:
        if exc.response is None:
            raise
        seen = {"status": exc.response.status_code, "type": exc.response.headers["content-type"]}
        return JSONResponse(seen, status_code=502)
    return {"status": r.status_code}


@app.get("/reason/{code}")
def reason(code: int):
    try:
        r = requests.get(f"{UPSTREAM}/status/{code}", timeout=5)
        r.raise_for_status()
    except requests.HTTPError as exc:
        return {"reason": exc.response.reason, "ok": exc.response.ok, "url": exc.response.url}
    return {"status": r.status_code}


@app.get("/class-name")
def class_name():
    try:
        requests.get(f"{REFUSED}/", timeout=5)
    except Exception as exc:
        return JSONResponse({"error": type(exc).__name__}, status_code=502)
    return {"reached": True}
