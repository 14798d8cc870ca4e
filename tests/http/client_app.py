"""A sync FastAPI app whose endpoints each exercise one mapped requests feature against the
upstream at UPSTREAM; the test migrates this file and compares both versions' results."""

import httpx
import requests
from fastapi import FastAPI

app = FastAPI()
UPSTREAM = "http://127.0.0.1:9"


@app.get("/redirects")
def redirect_chain():
    r = requests.get(f"{UPSTREAM}/redirect/5", timeout=5)
    return {"status": r.status_code, "url": r.url, "data": r.json(), "redirects": len(r.history)}


@app.get("/too-many-redirects")
def too_many_redirects():
    try:
        requests.get(f"{UPSTREAM}/redirect/31", timeout=5)
    except requests.TooManyRedirects:
        return {"error": "too many redirects"}
    return {"error": None}


@app.get("/thirty-redirects")
def thirty_redirects():
    r = requests.get(f"{UPSTREAM}/redirect/30", timeout=5)
    return {"status": r.status_code, "data": r.json()}


@app.get("/no-follow")
def no_follow():
    r = requests.get(f"{UPSTREAM}/redirect/1", allow_redirects=False, timeout=5)
    return {"status": r.status_code, "ok": r.ok, "truth": bool(r), "location": r.headers.get("location")}


@app.get("/head")
def head():
    r = requests.head(f"{UPSTREAM}/redirect/1", timeout=5)
    return {"status": r.status_code, "body": r.content}


@app.get("/params")
def params(q: str):
    r = requests.get(f"{UPSTREAM}/echo", params={"q": q, "n": 3, "tags": ["a", "b c"]}, timeout=5)
    return r.json()


@app.post("/text-body")
def text_body(text: str):
    r = requests.post(f"{UPSTREAM}/echo", data=text, timeout=5)
    return r.json()


@app.post("/bytes-body")
def bytes_body():
    r = requests.put(f"{UPSTREAM}/echo", data=b"\x00\xffraw", timeout=5)
    return r.json()


@app.post("/form")
def form(name: str):
    r = requests.post(f"{UPSTREAM}/echo", data={"name": name, "n": 1}, auth=("user", "pässword"), timeout=5)
    return r.json()


@app.post("/json")
def json_body(name: str):
    r = requests.patch(f"{UPSTREAM}/echo", json={"name": name, "n": [1, 2.5]}, headers={"X-Trace": "t-1"})
    return r.json()


@app.delete("/delete")
def delete_with_body():
    r = requests.delete(f"{UPSTREAM}/echo", json={"why": "gone"}, timeout=5)
    return r.json()


@app.get("/status/{code}")
def status(code: int):
    r = requests.get(f"{UPSTREAM}/status/{code}", timeout=5)
    if not r.ok:
        return {"ok": False, "status": r.status_code, "reason": r.reason}
    return {"ok": True, "status": r.status_code, "reason": r.reason}


@app.get("/raise/{code}")
def raise_for_status(code: int):
    try:
        r = requests.get(f"{UPSTREAM}/status/{code}", allow_redirects=False, timeout=5)
        r.raise_for_status()
    except requests.HTTPError as exc:
        return {"raised": exc.response.status_code}
    return {"raised": None, "status": r.status_code}


@app.get("/refused")
def refused(port: int):
    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=5)
    except requests.ConnectionError:
        return {"error": "connection"}
    return {"error": None}


@app.get("/timeout")
def timeout():
    try:
        requests.get(f"{UPSTREAM}/slow", timeout=0.3)
    except requests.Timeout:
        return {"error": "timeout"}
    return {"error": None}


@app.get("/bad-json")
def bad_json():
    try:
        r = requests.get(f"{UPSTREAM}/status/200", timeout=5)
        return r.json()
    except requests.RequestException:
        return {"error": "request failed or body is not JSON"}


@app.get("/session")
def session_cookies():
    # the cookie set by the first response goes back with the second request
    with requests.Session() as s:
        s.get(f"{UPSTREAM}/set-cookie", timeout=5)
        r = s.get(f"{UPSTREAM}/echo", timeout=5)
        head = s.head(f"{UPSTREAM}/redirect/1")
    return {"seen": r.json(), "head": head.status_code}


@app.get("/httpx-get")
def httpx_get(q: str):
    r = httpx.get(f"{UPSTREAM}/echo", params={"q": q}, timeout=5)
    return {"data": r.json(), "url": str(r.url)}


@app.get("/httpx-client")
def httpx_client():
    with httpx.Client(timeout=5, follow_redirects=True) as client:
        r = client.get(f"{UPSTREAM}/redirect/2")
        r.raise_for_status()
    return {"status": r.status_code, "data": r.json(), "redirects": len(r.history)}


@app.post("/named")
def named_dicts(name: str):
    # dicts bound to names and only passed to the call are checked as the literals they are
    headers = {"X-Client": "tests", "X-Name": name}
    form = {"name": name, "n": 2}
    r = requests.post(f"{UPSTREAM}/echo", data=form, headers=headers, timeout=5)
    return r.json()


@app.get("/latin-header")
def latin_header(name: str):
    # requests sends header values as Latin-1
    r = requests.get(f"{UPSTREAM}/echo", headers={"X-Name": name, "X-Trace": f"t-{name}"}, timeout=5)
    return r.json()


@app.get("/redirect-info")
def redirect_info(path: str):
    # requests' is_redirect needs a Location (httpx's is_redirect is any 3xx)
    r = requests.get(f"{UPSTREAM}/{path}", allow_redirects=False, timeout=5)
    return {"redirect": r.is_redirect, "history": len(r.history), "followed": bool(r.history)}


@app.get("/token-header")
def token_header(token: str):
    # a value built with + (str + bytes once encoded), and one that may end with a space
    r = requests.get(
        f"{UPSTREAM}/echo",
        headers={"Authorization": "Bearer " + token, "X-Token": f"Token {token}"},
        timeout=5,
    )
    return r.json()


@app.get("/semicolons")
def semicolons():
    url = f"{UPSTREAM}/echo"; r = requests.get(url, timeout=5); return r.json()  # noqa: E702  # fmt: skip


@app.get("/charset-json")
def charset_json(charset: str, media: str, length: int = 3):
    # requests decodes with the charset the Content-Type names; text/* without one as ISO-8859-1
    r = requests.get(
        f"{UPSTREAM}/encoded", params={"charset": charset, "type": media, "length": length}, timeout=5
    )
    try:
        return r.json()
    except requests.JSONDecodeError:
        return {"error": "not JSON"}


@app.post("/shadowed")
def shadowed_names(name: str):
    # the rewrite's json.dumps, httpx/aiohttp client, client name and str() must not pick these up
    json = {"name": name}
    httpx = aiohttp = client = str = "local"
    r = requests.post(f"{UPSTREAM}/echo", json=json, timeout=5)
    return {"seen": r.json(), "url": r.url, "locals": [httpx, aiohttp, client, str]}


@app.post("/optional-json")
def optional_json(name: str | None = None):
    # json=None: requests sends no body and no Content-Type
    payload = {"name": name} if name is not None else None
    r = requests.post(f"{UPSTREAM}/echo", json=payload, timeout=5)
    return r.json()


@app.get("/any-header")
def any_header(value: str):
    # a value that starts with whitespace fails in both libraries (requests' InvalidHeader is a
    # RequestException; httpx's LocalProtocolError an HTTPError, which the clause gets)
    try:
        r = requests.get(f"{UPSTREAM}/echo", headers={"X-Value": value}, timeout=5)
    except requests.RequestException:
        return {"error": "invalid header"}
    return r.json()
