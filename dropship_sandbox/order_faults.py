"""Fault injection and call recording shared by the order sandboxes.

`POST /__orders/faults` with `{"faults": [{"kind": "timeout_after", "route": "createOrder",
"count": 1}], "delay": 1.5}` queues faults; `route` (optional) is a substring of the route name.
Kinds:
- `429`: refused before processing, with Retry-After;
- `503`: refused before processing;
- `500_after`: processed, then answered 500 (the caller cannot know it happened);
- `timeout_after`: processed, then the answer is held `delay` seconds (the caller times out);
- `timeout_before`: held `delay` seconds, then processed (a slow gateway).
`GET /__orders/calls` answers every recorded call per route and status; the state machine's
own record (what was applied) is in each sandbox's `/__orders/state`.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

KINDS = ("429", "503", "500_after", "timeout_after", "timeout_before")


class OrderFaults:
    def __init__(self):
        self.lock = threading.Lock()
        self.queue: list[dict] = []
        self.delay = 1.5
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.fired: Counter[str] = Counter()

    def arm(self, spec: dict) -> dict:
        with self.lock:
            if "delay" in spec:
                self.delay = float(spec["delay"])
            if spec.get("clear"):
                self.queue.clear()
            for f in spec.get("faults") or []:
                if f.get("kind") not in KINDS:
                    raise ValueError(f"unknown fault kind {f.get('kind')!r}")
                self.queue.append({"kind": f["kind"], "route": f.get("route") or "",
                                   "count": int(f.get("count", 1))})
            return {"queued": list(self.queue), "delay": self.delay}

    def take(self, route: str) -> str | None:
        with self.lock:
            for f in self.queue:
                if f["count"] > 0 and f["route"] in route:
                    f["count"] -= 1
                    self.fired[f["kind"]] += 1
                    kind = f["kind"]
                    self.queue = [q for q in self.queue if q["count"] > 0]
                    return kind
        return None

    def record(self, route: str, status: int) -> None:
        with self.lock:
            self.calls[route] += 1
            self.statuses[f"{route} {status}"] += 1

    def snapshot(self) -> dict:
        with self.lock:
            return {"total": sum(self.calls.values()), "by_route": dict(self.calls),
                    "by_status": dict(self.statuses), "fired": dict(self.fired),
                    "pending": list(self.queue)}


async def run_with_faults(faults: OrderFaults, route: str, request: Request,
                          handler: Callable[[], Awaitable[Response]],
                          error: Callable[[int, str], Response]) -> Response:
    kind = faults.take(route)
    if kind == "429":
        r = error(429, "rate limited (injected)")
        r.headers["Retry-After"] = "0"
        resp = r
    elif kind == "503":
        resp = error(503, "service unavailable (injected)")
    else:
        if kind == "timeout_before":
            await asyncio.sleep(faults.delay)
        resp = await handler()
        if kind == "500_after":
            resp = error(500, "internal error (injected, after processing)")
        elif kind == "timeout_after":
            await asyncio.sleep(faults.delay)
    faults.record(route, resp.status_code)
    return resp


def fault_routes(faults: OrderFaults, dump: Callable[[], dict]) -> list[Route]:
    async def arm(request: Request) -> Response:
        try:
            return JSONResponse(faults.arm(await request.json()))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    async def calls(request: Request) -> Response:
        return JSONResponse(faults.snapshot())

    async def state(request: Request) -> Response:
        return JSONResponse(dump())

    return [Route("/__orders/faults", arm, methods=["POST"]),
            Route("/__orders/calls", calls, methods=["GET"]),
            Route("/__orders/state", state, methods=["GET"])]


def orders_app(routes: list, sb: Any, faults: Any) -> Starlette:
    """The app of one market's order sandbox: its routes plus the admin route, its state and faults."""
    app = Starlette(routes=[*routes, Route("/__orders/{op:str}", sb.admin, methods=["POST"])])
    app.state.orders = sb
    app.state.faults = faults
    return app
