"""What the three sandbox marketplaces share: call counting, fault injection, rate limiting and
the admin endpoints tests and demos use.

Admin endpoints (never part of the real APIs, all under `/__`):

- `POST /__faults` with e.g. `{"429": 2, "429_no_retry_after": 1, "5xx": 1, "500": 1,
  "timeout": 1, "drop_create_response": 1, "delay": 1.0, "retry_after": 1}` queues faults for
  the next API calls (`drop_create_response` only hits creates). `timeout` makes the server sit
  on the request for `delay` seconds and then process it anyway, like a slow gateway;
  `drop_create_response` processes a create and then sits on the answer for `delay` seconds.
- `GET /__calls`: `{"total": n, "by_route": {...}, "by_status": {...}}`; `POST /__reset_calls`.
- `GET /__state`: what the marketplace holds (products, per seller code counts).
- `POST /__bulk_create` with `{"account": <client id / access key / master id>, "bodies": [...]}`:
  bench setup only. Each body goes through the create handler's own validation and storage (and
  on Coupang the first GET's approval, as the sync's after-create read does), without an HTTP
  round trip per product and without counting as API calls; answers `{"results": [{"status",
  "body"}]}`, one per body, in order.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_core.http import TokenBucket

FAULT_KINDS = ("429", "429_no_retry_after", "5xx", "500", "timeout", "drop_create_response")


class Bucket(TokenBucket):
    """Server-side token bucket (the marketplace's rate limit): refuse instead of waiting."""

    def __init__(self, rate: float, burst: float):
        super().__init__(rate, burst)

    def take(self) -> bool:
        return self.try_acquire()


class SandboxState:
    def __init__(self, rate: float | None, burst: float | None):
        self.lock = threading.Lock()
        self.faults: Counter[str] = Counter()
        self.delay = 1.0
        self.retry_after = 1
        self.calls_total = 0
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.rate = rate
        self.burst = burst if burst is not None else (rate * 2 if rate else None)
        self.buckets: dict[str, Bucket] = {}

    def take_fault(self, kind: str) -> bool:
        with self.lock:
            if self.faults[kind] > 0:
                self.faults[kind] -= 1
                return True
            return False

    def rate_ok(self, who: str) -> bool:
        if not self.rate:
            return True
        with self.lock:
            b = self.buckets.get(who)
            if b is None:
                b = self.buckets[who] = Bucket(self.rate, self.burst or self.rate)
            return b.take()

    def count(self, route: str, status: int) -> None:
        with self.lock:
            self.calls_total += 1
            self.by_route[route] += 1
            self.by_status[str(status)] += 1

    def calls(self) -> dict[str, Any]:
        with self.lock:
            return {"total": self.calls_total, "by_route": dict(self.by_route),
                    "by_status": dict(self.by_status),
                    "faults_pending": {k: v for k, v in self.faults.items() if v}}


Handler = Callable[[Request], Awaitable[Response]]


def api(state: SandboxState, route: str, handler: Handler, *, error: Callable[[int, str], Response],
        is_create: bool = False) -> Handler:
    """Wrap an API handler: injected faults first, then the handler; every call counted."""

    async def endpoint(request: Request) -> Response:
        resp = await _faulted(state, request, handler, error, is_create)
        state.count(route, resp.status_code)
        return resp

    return endpoint


async def _faulted(state, request, handler, error, is_create) -> Response:
    if state.take_fault("429"):
        r = error(429, "rate limited (injected)")
        r.headers["Retry-After"] = str(state.retry_after)
        return r
    if state.take_fault("429_no_retry_after"):
        return error(429, "rate limited (injected, no Retry-After)")
    if state.take_fault("5xx"):
        return error(503, "service unavailable (injected)")
    if state.take_fault("500"):
        return error(500, "internal error (injected)")
    if state.take_fault("timeout"):
        await request.body()                      # read it all before the client gives up
        await asyncio.sleep(state.delay)          # slow gateway: the work still happens
    if is_create and state.take_fault("drop_create_response"):
        resp = await handler(request)
        await asyncio.sleep(state.delay)          # the answer never reaches a patient client
        return resp
    return await handler(request)


def admin_routes(state: SandboxState, dump: Callable[[], dict],
                 extra: list[Route] | None = None) -> list[Route]:
    async def faults(request: Request) -> Response:
        body = await request.json()
        with state.lock:
            for k, v in body.items():
                if k in FAULT_KINDS:
                    state.faults[k] += int(v)
                elif k == "delay":
                    state.delay = float(v)
                elif k == "retry_after":
                    state.retry_after = int(v)
                elif k == "clear":
                    state.faults.clear()
                else:
                    return JSONResponse({"error": f"unknown fault {k}"}, status_code=400)
        return JSONResponse({"faults": dict(state.faults), "delay": state.delay})

    async def calls(request: Request) -> Response:
        return JSONResponse(state.calls())

    async def reset_calls(request: Request) -> Response:
        with state.lock:
            state.calls_total = 0
            state.by_route.clear()
            state.by_status.clear()
        return JSONResponse({"ok": True})

    async def dump_state(request: Request) -> Response:
        return JSONResponse(dump())

    return [Route("/__faults", faults, methods=["POST"]),
            Route("/__calls", calls, methods=["GET"]),
            Route("/__reset_calls", reset_calls, methods=["POST"]),
            Route("/__state", dump_state, methods=["GET"])] + (extra or [])


def bulk_create_route(accounts: Callable[[str], bool],
                      create: Callable[[str, Any], Response]) -> Route:
    """`POST /__bulk_create` (see the module docstring): `create(account, body)` is the sandbox's
    own create logic after authentication; `accounts(account)` says whether it is configured."""
    async def bulk(request: Request) -> Response:
        try:
            req = await request.json()
        except ValueError:
            return JSONResponse({"error": "body must be JSON"}, status_code=400)
        account, bodies = req.get("account"), req.get("bodies")
        if not isinstance(account, str) or not accounts(account):
            return JSONResponse({"error": "unknown account"}, status_code=400)
        if not isinstance(bodies, list):
            return JSONResponse({"error": "bodies must be a list"}, status_code=400)
        results = []
        for body in bodies:
            resp = create(account, body)
            results.append({"status": resp.status_code, "body": json.loads(resp.body)})
        return JSONResponse({"results": results})

    return Route("/__bulk_create", bulk, methods=["POST"])


def problems_to_list(problems: list[tuple[str, str]]) -> list[dict]:
    return [{"name": n, "type": "NotValid", "message": m} for n, m in problems]


def start_market_sandboxes(port_base: int = 0, *, rate_limits: bool = True,
                           require_cdn_images: bool = False):
    """Start the three sandbox marketplaces with their default credentials.

    Returns (servers, env): `env` holds the SMARTSTORE_* / COUPANG_* / ESM_* variables that point
    the connectors at them (sandbox credentials are public constants, not secrets). For a demo
    the SmartStore sandbox accepts non-CDN image URLs unless `require_cdn_images`.
    """
    from dropship_sandbox import coupang, esm, smartstore
    from dropship_core.serve import ServerThread

    def port(i: int) -> int:
        return port_base + i if port_base else 0

    ss = ServerThread(smartstore.create_app(require_cdn_images=require_cdn_images,
                                            **({} if rate_limits else {"rate": None})),
                      port=port(0)).start()
    cp = ServerThread(coupang.create_app(**({} if rate_limits else {"rate": None})),
                      port=port(1)).start()
    es = ServerThread(esm.create_app(**({} if rate_limits else {"rate": None})),
                      port=port(2)).start()
    env = {
        "SMARTSTORE_BASE_URL": ss.url,
        "SMARTSTORE_CLIENT_ID": smartstore.SANDBOX_CLIENT_ID,
        "SMARTSTORE_CLIENT_SECRET": smartstore.SANDBOX_CLIENT_SECRET,
        "COUPANG_BASE_URL": cp.url,
        "COUPANG_ACCESS_KEY": coupang.SANDBOX_ACCESS_KEY,
        "COUPANG_SECRET_KEY": coupang.SANDBOX_SECRET_KEY,
        "COUPANG_VENDOR_ID": coupang.SANDBOX_VENDOR_ID,
        "ESM_BASE_URL": es.url,
        "ESM_MASTER_ID": esm.SANDBOX_MASTER_ID,
        "ESM_SECRET_KEY": esm.SANDBOX_SECRET_KEY,
        "ESM_SITE_IDS": esm.SANDBOX_SITE_IDS,
        "DROPSHIP_SELLER_PRESET": "sandbox",
    }
    return [ss, cp, es], env
