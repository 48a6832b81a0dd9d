"""Domeggook / Domeme (도매꾹 / 도매매) Open API sandbox.

  GET /ssl/api/?ver=4.1&mode=getItemList&aid=KEY&market=dome|supply&om=json&sz=1..200&pg=N
      [&id=seller][&ca=01_02][&kw=word]       only on-sale items (판매중, in stock)
  GET /ssl/api/?ver=4.0..4.6&mode=getItemView&aid=KEY&no=N&om=json
Errors have Domeggook's shape `{"errors": {"code", "message", "dmessage"}}` (HTTP 200, or 404 for
an unknown ver/mode). Over `rpm_limit` calls in a minute the key is blocked for `block_s` seconds
with HTTP 429 and no Retry-After ("분당 180회 초과 시 3분 차단").

Sandbox controls: POST /__faults, POST|DELETE /__admin/items/{no}, POST /__admin/items,
POST /__admin/config {"rpm_limit","block_s"}, GET /__admin/stats (see sandbox/ownerclan.py).

Default API key: `sandbox-domeggook-key`. Only `om=json` is rendered.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_sandbox.catalog_seed import SeedItem, generate_catalog
from dropship_sandbox.faults import Faults, ItemAdmin, admin_routes, injected_fault, serve_main

DEFAULT_API_KEY = "sandbox-domeggook-key"
LIST_VERSIONS = ("4.0", "4.1")
VIEW_VERSIONS = ("4.0", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6")
NOT_FOUND_CODE = "ITEM_NOT_FOUND"  # UNVERIFIED: the real code for a missing item is not documented
SELLERS = ["dome_seller1", "dome_seller2", "dome_seller3", "dome_seller4", "dome_seller5"]


def _err(code: str, message: str, dmessage: str = "", status: int = 200) -> JSONResponse:
    return JSONResponse({"errors": {"code": code, "message": message, "dmessage": dmessage}}, status_code=status)


def _tiers_text(tiers: list[tuple[int, int]]) -> str | int:
    if len(tiers) == 1:
        return tiers[0][1]
    return "|".join(f"{q}+{p}" for q, p in tiers)


def _cat_code(it: SeedItem) -> str:
    c = it.category_code
    return f"{c[0:2]}_{c[2:4]}_{c[4:6]}_00_00"


def render_list_item(it: SeedItem) -> dict[str, Any]:
    return {"no": it.no, "title": it.name, "price": it.price, "unitQty": 1,
            "thumb": it.images[0], "id": SELLERS[it.no % len(SELLERS)], "nick": f"셀러{it.no % len(SELLERS) + 1}",
            "url": f"https://domeggook.com/{it.no}",
            "deli": {"who": "S" if it.shipping_fee == 0 else "P", "fee": str(it.shipping_fee), "fromOversea": "false"},
            "market": {"domeggook": "true", "supply": "true"}}


def render_view(it: SeedItem) -> dict[str, Any]:
    status = {"available": "판매중", "soldout": "판매중", "discontinued": "판매종료"}[it.status]
    supply_tiers = [(q, int(round(p * 1.05 / 10)) * 10) for q, p in it.tiers]
    select_opt = None
    if it.options:
        dims = list(it.options[0]["attrs"].keys())
        values = {d: list(dict.fromkeys(o["attrs"][d] for o in it.options)) for d in dims}
        data = {}
        for o in it.options:
            idx = "_".join(f"{values[d].index(o['attrs'][d]):02d}" for d in dims)
            qty = 0 if it.status == "soldout" else (o["qty"] if o["qty"] < 9999 else 999)
            data[idx] = {"name": "/".join(o["attrs"][d] for d in dims), "dom": 1, "domPrice": o["price_delta"],
                         "sup": 1, "supPrice": o["price_delta"], "qty": qty, "hid": 0,
                         "hash": f"{it.no:x}{idx}"}
        select_opt = json.dumps({"type": "combination" if len(dims) > 1 else "single", "optSort": "",
                                 "set": [{"name": d, "opts": values[d], "domPrice": [0] * len(values[d]),
                                          "changeKey": []} for d in dims],
                                 "data": data}, ensure_ascii=False)
    inventory = 0 if it.status == "soldout" else (it.stock if it.stock is not None else 9999)
    path = it.category_path
    code = _cat_code(it)
    return {"domeggook": {
        "basis": {"no": it.no, "status": status, "title": it.name, "nego": "false",
                  "adult": "true" if it.adult else "false",
                  "tax": "면세상품" if it.tax_free else "과세상품", "keywords": {"kw": it.keywords},
                  "unitQty": 1, "dateStart": "2026-01-01", "dateEnd": "2099-12-31"},
        "price": {"dome": _tiers_text(it.tiers), "supply": _tiers_text(supply_tiers), "resale": it.consumer_price},
        "qty": {"inventory": inventory, "domeMoq": 1, "supplyMoq": 1},
        "deli": {"who": "S" if it.shipping_fee == 0 else "P", "fee": it.shipping_fee,
                 "dome": {"type": "택배", "fee": it.shipping_fee}, "supply": {"type": "택배", "fee": it.shipping_fee},
                 "returnFee": it.return_fee},
        "seller": {"id": SELLERS[it.no % len(SELLERS)], "nick": f"셀러{it.no % len(SELLERS) + 1}", "rank": "3"},
        "thumb": {"original": it.images[0], "large": it.images[0]},
        "image": {"url": it.images},
        "desc": {"contents": it.content},
        "detail": {"country": it.origin, "manufacturer": it.brand, "brand": it.brand, "model": it.model},
        "category": {"current": {"code": code, "name": path[-1]},
                     "parents": {"elem": [{"code": code[:3 * (i + 1) - 1], "name": n} for i, n in enumerate(path[:-1])]}},
        "selectOpt": select_opt,
    }}


class DomeggookState:
    def __init__(self, count: int, seed: int, api_keys: set[str], rpm_limit: int, block_s: float):
        self.lock = threading.RLock()
        self.seed = seed
        self.api_keys = api_keys
        self.rpm_limit = rpm_limit
        self.block_s = block_s
        self.faults = Faults()
        self.items: dict[int, SeedItem] = {}
        for it in generate_catalog(count, seed, key_prefix="D"):
            self.items[it.no] = it
        self.hits: dict[str, list[float]] = {}
        self.blocked_until: dict[str, float] = {}
        self.stats = {"requests": 0, "list_calls": 0, "view_calls": 0, "blocked": 0}

    def rate_ok(self, aid: str) -> bool:
        now = time.monotonic()
        with self.lock:
            if self.blocked_until.get(aid, 0) > now:
                return False
            hits = [t for t in self.hits.get(aid, []) if now - t < 60]
            hits.append(now)
            self.hits[aid] = hits
            if self.rpm_limit > 0 and len(hits) > self.rpm_limit:
                self.blocked_until[aid] = now + self.block_s
                self.hits[aid] = []
                return False
            return True

    def mutate(self, no: int, change: dict) -> None:
        with self.lock:
            it = self.items[no]
            if "price" in change:
                new = int(change["price"])
                it.price = new
                it.tiers = [(1, new)] + [(q, min(p, new)) for q, p in it.tiers[1:]]
            if "name" in change:
                it.name = str(change["name"])
            if "shipping_fee" in change:
                it.shipping_fee = int(change["shipping_fee"])
            if "stock" in change:
                new = int(change["stock"])
                for o in it.options:
                    o["qty"] = new
                it.stock = new * len(it.options) if it.options else new
                it.status = "soldout" if new == 0 else "available"
            if "status" in change:
                it.status = str(change["status"])

    def add_new(self, count: int) -> list[int]:
        with self.lock:
            start = max(self.items) + 1
            fresh = generate_catalog(count, self.seed + 7, key_prefix="N")
            out = []
            for k, it in enumerate(fresh):
                it.no = start + k * 3
                self.items[it.no] = it
                out.append(it.no)
            return out


def _get_item_list(state: DomeggookState, q) -> Response:
    state.stats["list_calls"] += 1
    if q.get("market") not in ("dome", "supply"):
        return _err("PARAM_REQUIRED", "market 파라미터가 올바르지 않습니다.", "market must be dome or supply")
    try:
        sz = int(q.get("sz", 20))
        pg = int(q.get("pg", 1))
    except ValueError:
        return _err("PARAM_INVALID", "sz/pg 파라미터가 올바르지 않습니다.", "sz and pg must be integers")
    if not 1 <= sz <= 200:
        return _err("PARAM_INVALID", "sz 파라미터는 1~200 사이여야 합니다.", f"sz={sz} is out of range 1..200")
    if pg < 1:
        return _err("PARAM_INVALID", "pg 파라미터가 올바르지 않습니다.", f"pg={pg}")
    seller, ca, kw = q.get("id"), q.get("ca"), q.get("kw")
    with state.lock:
        rows = [it for it in state.items.values() if it.status == "available"]
        if seller:
            rows = [it for it in rows if SELLERS[it.no % len(SELLERS)] == seller]
        if ca:
            prefix = "_".join(p for p in ca.split("_") if p.strip("0"))
            rows = [it for it in rows if _cat_code(it).startswith(prefix)]
        if kw:
            rows = [it for it in rows if kw in it.name]
        rows.sort(key=(lambda it: -it.no) if q.get("so") == "da" else (lambda it: it.no))
        page = [render_list_item(it) for it in rows[(pg - 1) * sz: pg * sz]]
    total = len(rows)
    body: dict[str, Any] = {"header": {"numberOfItems": total, "currentPage": pg, "itemsPerPage": sz,
                                       "numberOfPages": (total + sz - 1) // sz}}
    # Domeggook returns a lone hit as an object, not a one-element array
    body["list"] = {"item": page[0] if len(page) == 1 else page} if page else {}
    return JSONResponse({"domeggook": body})


def _get_item_view(state: DomeggookState, q) -> Response:
    state.stats["view_calls"] += 1
    try:
        no = int(q.get("no", ""))
    except ValueError:
        return _err("PARAM_REQUIRED", "no 파라미터가 필요합니다.", "no is required")
    with state.lock:
        it = state.items.get(no)
        if it is None:
            return _err(NOT_FOUND_CODE, "상품정보가 없습니다.", f"no item {no}")
        return JSONResponse(render_view(it))


def _check_request(state: DomeggookState, q) -> Response | None:
    """Key, rate block, service and format, in the order Domeggook checks them."""
    aid = q.get("aid", "")
    if not aid:
        return _err("AID_REQUIRED", "aid 파라미터가 필요합니다.", "API key (aid) is required")
    if aid not in state.api_keys:
        return _err("INVALID_AID", "등록되지 않은 API 키입니다.", "unknown API key")
    if not state.rate_ok(aid):
        state.stats["blocked"] += 1
        return _err("TOO_MANY_REQUESTS", "분당 180회 초과로 3분간 차단되었습니다.", "blocked", status=429)
    ver, mode = q.get("ver", ""), q.get("mode", "")
    if not ((mode == "getItemList" and ver in LIST_VERSIONS) or (mode == "getItemView" and ver in VIEW_VERSIONS)):
        return _err("UNKNOWN_SERVICE", "해당 오픈 API 서비스가 없습니다.", f"ver={ver} mode={mode}", status=404)
    if q.get("om") != "json":
        return _err("PARAM_INVALID", "om 파라미터가 올바르지 않습니다.", "the sandbox renders om=json only")
    return None


def _admin(state: DomeggookState) -> ItemAdmin:
    def delete(key: str, purge: bool) -> None:
        with state.lock:
            if purge:
                del state.items[int(key)]
            else:
                state.items[int(key)].status = "discontinued"

    def mutate(key: str, body: dict) -> dict:
        state.mutate(int(key), body)
        return render_view(state.items[int(key)])

    def configure(body: dict) -> dict:
        with state.lock:
            if "rpm_limit" in body:
                state.rpm_limit = int(body["rpm_limit"])
            if "block_s" in body:
                state.block_s = float(body["block_s"])
            if body.get("unblock"):
                state.blocked_until.clear()
                state.hits.clear()
        return {"rpm_limit": state.rpm_limit, "block_s": state.block_s}

    return ItemAdmin(exists=lambda k: k.isdigit() and int(k) in state.items, delete=delete, mutate=mutate,
                     add_new=state.add_new, configure=configure,
                     stats=lambda: dict(state.stats, items=len(state.items)))


def create_app(count: int = 3000, seed: int = 20260101, *, api_keys: set[str] | None = None,
               rpm_limit: int = 180, block_s: float = 180.0) -> Starlette:
    """A Domeggook sandbox seeded with `count` items. `rpm_limit` <= 0 disables the limiter."""
    state = DomeggookState(count, seed, api_keys or {DEFAULT_API_KEY}, rpm_limit, block_s)

    async def api(request: Request) -> Response:
        state.stats["requests"] += 1
        q = request.query_params
        fault = await injected_fault(
            state.faults, malformed='{"domeggook": {"list": {"item": [{"no": 1,',
            too_many=lambda: _err("TOO_MANY_REQUESTS", "분당 호출 한도를 초과했습니다.", "rate limited", status=429),
            error=lambda: _err("SYSTEM_ERROR", "일시적인 시스템 오류입니다.", "sandbox fault"))
        refused = fault or _check_request(state, q)
        if refused is not None:
            return refused
        return _get_item_list(state, q) if q.get("mode") == "getItemList" else _get_item_view(state, q)

    app = Starlette(routes=[Route("/ssl/api/", api, methods=["GET"]), *admin_routes(state.faults, _admin(state), "no")])
    app.state.sandbox = state
    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox on a loopback port until interrupted."""
    def extra(ap):
        ap.add_argument("--rpm-limit", type=int, default=180)
        ap.add_argument("--block-s", type=float, default=180.0)

    serve_main(__doc__.splitlines()[0], lambda a: create_app(count=a.items, seed=a.seed, rpm_limit=a.rpm_limit,
                                                              block_s=a.block_s),
               f"Domeggook sandbox: {{url}}/ssl/api/, API key {DEFAULT_API_KEY}", extra, argv)


if __name__ == "__main__":
    main()
