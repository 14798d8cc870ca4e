"""A loopback upstream for the HTTP translation tests: echoes what it received, redirects,
answers with a given status, or answers slowly."""

from __future__ import annotations

import json
import time
from contextlib import suppress
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

IGNORED_HEADERS = {"user-agent", "host", "connection"}
"""What differs by design (the User-Agent names the library) or by connection."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            with suppress(BrokenPipeError, ConnectionResetError):  # a client that timed out
                self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path = urlsplit(self.path).path
        if path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            target = f"/redirect/{left - 1}" if left > 1 else "/echo"
            self._reply(302, headers={"Location": target})
        elif path.startswith("/status/"):
            self._reply(int(path.rsplit("/", 1)[1]), b"plain text, not JSON", {"Content-Type": "text/plain"})
        elif path == "/set-cookie":
            self._reply(204, headers={"Set-Cookie": "token=abc; Path=/"})
        elif path == "/encoded":
            # a JSON body in the charset the query names, under the Content-Type it names
            query = {name: values[0] for name, values in parse_qs(urlsplit(self.path).query).items()}
            payload = json.dumps({"name": "Zoë ☃"[: int(query.get("length", 3))]}, ensure_ascii=False)
            body = payload.encode(query["charset"])
            self._reply(200, body, {"Content-Type": query["type"]})
        elif path == "/slow":
            time.sleep(2)
            self._reply(200, b"{}")
        else:
            seen = {
                "method": self.command,
                "target": self.path,
                "body": body.hex(),
                # a recipient strips the whitespace around a field value (RFC 9110 5.5; h11,
                # so uvicorn, does; http.server doesn't)
                "headers": sorted(
                    [name.lower(), value.strip(" \t")]
                    for name, value in self.headers.items()
                    if name.lower() not in IGNORED_HEADERS
                ),
            }
            self._reply(200, json.dumps(seen).encode(), {"Content-Type": "application/json"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815
