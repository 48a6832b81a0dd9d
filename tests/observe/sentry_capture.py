"""A local HTTP server that speaks Sentry's envelope endpoint, keeping what it receives."""

import gzip
import json
import zlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def decode_body(headers: dict, body: bytes) -> bytes:
    enc = headers.get("content-encoding", "")
    if enc == "gzip":
        return gzip.decompress(body)
    if enc == "deflate":
        return zlib.decompress(body)
    if enc == "br":
        import brotli  # only when the SDK found brotli installed

        return brotli.decompress(body)
    return body


def envelope_items(raw: bytes) -> list[tuple[dict, bytes]]:
    """(item header, payload) of each item of a Sentry envelope (header line, then items)."""
    lines = raw.split(b"\n")
    items, i = [], 1
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        head = json.loads(lines[i])
        if "length" in head:
            start = sum(len(x) + 1 for x in lines[: i + 1])
            payload = raw[start: start + head["length"]]
            items.append((head, payload))
            consumed = raw[: start + head["length"]].count(b"\n")
            i = consumed + 1
        else:
            items.append((head, lines[i + 1]))
            i += 2
    return items


class SentryCapture:
    def __init__(self):
        self.calls: list[tuple[str, dict, bytes]] = []   # path, headers, decoded body

    @property
    def events(self) -> list[dict]:
        out = []
        for path, _h, body in self.calls:
            if path.endswith("/envelope/"):
                out += [json.loads(p) for h, p in envelope_items(body) if h.get("type") == "event"]
        return out

    def app(self) -> Starlette:
        async def anything(request: Request):
            headers = dict(request.headers)
            self.calls.append((request.url.path, headers, decode_body(headers, await request.body())))
            return JSONResponse({"id": "x"})

        return Starlette(routes=[Route("/{path:path}", anything, methods=["POST"])])
