"""Fault injection and rate windows shared by the supplier sandboxes (OwnerClan, Domeggook).

`POST /__faults` arms counted faults that the next API requests consume, so a client's retry and
resume paths can be exercised on demand."""

from __future__ import annotations

import argparse
import asyncio
import threading
from dataclasses import dataclass
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

FAULT_KINDS = ("http_429", "http_502", "timeout", "malformed", "graphql_error", "supplier_error")


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {k: 0 for k in FAULT_KINDS}
        self.retry_after: float | None = 1
        self.timeout_s: float = 2.0
        self.fired: dict[str, int] = {k: 0 for k in FAULT_KINDS}

    def arm(self, spec: dict) -> dict:
        with self._lock:
            for k in FAULT_KINDS:
                if k in spec:
                    self.counts[k] = max(0, int(spec[k]))
            if "retry_after" in spec:
                self.retry_after = None if spec["retry_after"] is None else float(spec["retry_after"])
            if "timeout_s" in spec:
                self.timeout_s = float(spec["timeout_s"])
            return self.snapshot()

    def take(self) -> str | None:
        """The next armed fault, consumed, in a fixed order; None when nothing is armed."""
        with self._lock:
            for k in FAULT_KINDS:
                if self.counts[k] > 0:
                    self.counts[k] -= 1
                    self.fired[k] += 1
                    return k
        return None

    def snapshot(self) -> dict:
        return {"armed": dict(self.counts), "fired": dict(self.fired), "retry_after": self.retry_after,
                "timeout_s": self.timeout_s}


class RateWindow:
    """Requests in the last `window_s` seconds per client; a sliding window."""

    def __init__(self, limit_per_window: int, window_s: float = 60.0) -> None:
        self.limit = limit_per_window
        self.window_s = window_s
        self._hits: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def hit(self, client: str, now: float) -> bool:
        """Record a request; False when it goes over the limit."""
        with self._lock:
            hits = [t for t in self._hits.get(client, []) if now - t < self.window_s]
            hits.append(now)
            self._hits[client] = hits
            return self.limit <= 0 or len(hits) <= self.limit


async def injected_fault(faults: Faults, *, too_many: Callable[[], Response], malformed: str,
                         error: Callable[[], Response]) -> Response | None:
    """The response of the next armed fault, in the supplier's own shapes; None when none is armed
    (a `timeout` waits, then lets the request through, as a slow upstream would)."""
    fault = faults.take()
    if fault == "timeout":
        await asyncio.sleep(faults.timeout_s)
    elif fault == "http_502":
        headers = {} if faults.retry_after is None else {"Retry-After": str(int(faults.retry_after))}
        return PlainTextResponse("502 Bad Gateway", status_code=502, headers=headers)
    elif fault == "http_429":
        return too_many()
    elif fault == "malformed":
        return Response(malformed, media_type="application/json")
    elif fault in ("supplier_error", "graphql_error"):
        return error()
    return None


@dataclass
class ItemAdmin:
    """What a supplier sandbox's admin routes do to its catalog (tests and the demo use them)."""

    exists: Callable[[str], bool]
    delete: Callable[[str, bool], None]          # (key, purge)
    mutate: Callable[[str, dict], Any]           # (key, changes) -> the item as the API shows it
    add_new: Callable[[int], list]
    configure: Callable[[dict], dict]
    stats: Callable[[], dict]


def admin_routes(faults: Faults, admin: ItemAdmin, key_param: str = "key") -> list[Route]:
    """POST /__faults, POST /__admin/items, POST|DELETE /__admin/items/{key}, POST /__admin/config,
    GET /__admin/stats."""

    async def arm(request: Request) -> Response:
        return JSONResponse(faults.arm(await request.json()))

    async def item(request: Request) -> Response:
        key = request.path_params[key_param]
        if not admin.exists(key):
            return JSONResponse({"message": f"no item {key}"}, status_code=404)
        if request.method == "DELETE":
            admin.delete(key, request.query_params.get("purge") in ("1", "true"))
            return JSONResponse({"deleted": key})
        return JSONResponse(admin.mutate(key, await request.json()))

    async def items(request: Request) -> Response:
        body = await request.json()
        return JSONResponse({"added": admin.add_new(int(body.get("count", 1)))})

    async def config(request: Request) -> Response:
        return JSONResponse(admin.configure(await request.json()))

    async def stats(request: Request) -> Response:
        return JSONResponse(dict(admin.stats(), faults=faults.snapshot()))

    return [Route("/__faults", arm, methods=["POST"]),
            Route("/__admin/items", items, methods=["POST"]),
            Route(f"/__admin/items/{{{key_param}}}", item, methods=["POST", "DELETE"]),
            Route("/__admin/config", config, methods=["POST"]),
            Route("/__admin/stats", stats, methods=["GET"])]


def serve_main(description: str, make_app: Callable[[argparse.Namespace], Any], banner: str,
               extra_args: Callable[[argparse.ArgumentParser], None], argv: list[str] | None = None) -> None:
    """`python -m dropship_sandbox.<supplier>`: serve one sandbox on a loopback port until Ctrl-C."""
    from dropship_core.serve import ServerThread

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20260101)
    extra_args(ap)
    args = ap.parse_args(argv)
    ServerThread(make_app(args), port=args.port).serve_until_interrupted(banner)
