"""OwnerClan (오너클랜) seller API sandbox: JWT auth endpoint plus a GraphQL endpoint with a real
schema (graphql-core), so unknown fields and bad arguments fail the way a GraphQL server fails.

Endpoints (same paths as production, other host):
  POST /auth                       JSON {"service":"ownerclan","userType":"seller","username","password"}
                                   -> the JWT as plain text
  GET|POST /v1/graphql             Authorization: Bearer <jwt>; allItems, item, items, itemsByKeys,
                                   itemHistories
Sandbox controls (not in production):
  POST /__faults                   {"http_429": n, "http_502": n, "timeout": n, "malformed": n,
                                    "graphql_error": n, "retry_after": s, "timeout_s": s}
  POST /__admin/items/{key}        {"price", "stock", "status", "name", "shipping_fee"} -> mutate + history
  DELETE /__admin/items/{key}      ?purge=1 removes it entirely; otherwise status discontinued
  POST /__admin/items              {"count": n} adds n new items
  POST /__admin/config             {"token_ttl_s", "rpm_limit", "auth_error_style"}
  GET  /__admin/stats

Default credentials: username `sandbox-seller`, password `sandbox-pass`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from typing import Any

from graphql import GraphQLScalarType, build_schema, graphql_sync
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from dropship_sandbox.catalog_seed import SeedItem, generate_catalog
from dropship_sandbox.faults import Faults, ItemAdmin, RateWindow, admin_routes, injected_fault, serve_main

DEFAULT_USERNAME = "sandbox-seller"
DEFAULT_PASSWORD = "sandbox-pass"
MAX_FIRST = 1000

SDL = """
scalar JSON

enum ItemStatus { available soldout unavailable discontinued }
enum ImageSize { small medium large original }

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type Category { key: String! name: String! fullName: String }
type OptionAttribute { name: String! value: String! }
type ItemOption { optionAttributes: [OptionAttribute!]! price: Int! quantity: Int! key: String! }

type Item {
  createdAt: Float! updatedAt: Float! key: String! id: ID! name: String! model: String
  production: String origin: String price: Int! pricePolicy: String fixedPrice: Int
  searchKeywords: [String!] category: Category content: String sellerOnlyContent: String
  shippingFee: Int shippingType: String images(size: ImageSize): [String!] status: ItemStatus!
  options: [ItemOption!]! taxFree: Boolean adultOnly: Boolean returnable: Boolean
  noReturnReason: String guaranteedShippingPeriod: Int openmarketSellable: Boolean
  boxQuantity: Int attributes: [String!] closingTime: String returnCriteria: JSON metadata: JSON
}
type ItemEdge { cursor: String! node: Item! }
type ItemConnection { pageInfo: PageInfo! edges: [ItemEdge!]! }

type ItemHistory { createdAt: Float! kind: String! itemKey: String! valueBefore: JSON valueAfter: JSON }
type ItemHistoryEdge { cursor: String! node: ItemHistory! }
type ItemHistoryConnection { pageInfo: PageInfo! edges: [ItemHistoryEdge!]! }

type Query {
  allItems(first: Int, after: String, dateFrom: Float, dateTo: Float, category: String,
           status: ItemStatus, shippingLocationType: String): ItemConnection!
  item(key: String!): Item
  items(keys: [String!]!): [Item]!
  itemsByKeys(keys: [String!]!): [Item]!
  itemHistories(first: Int, after: String, dateFrom: Float, dateTo: Float, kind: String,
                itemKey: String): ItemHistoryConnection!
}
"""


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def make_jwt(payload: dict, key: bytes) -> str:
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64(hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def read_jwt(token: str, key: bytes) -> dict | None:
    """The payload when the signature is ours, else None (expiry is checked by the caller)."""
    try:
        head, body, sig = token.split(".")
        want = _b64(hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(want, sig):
            return None
        return json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError):
        return None


def _to_ms(v: float | None) -> int | None:
    """dateFrom/dateTo: the unit is UNVERIFIED (s or ms); values below 1e11 are read as seconds."""
    if v is None:
        return None
    return int(v * 1000) if v < 1e11 else int(v)


def render_item(it: SeedItem, serial: int) -> dict[str, Any]:
    """One item in OwnerClan's GraphQL shape (see contracts/examples/ownerclan.md)."""
    if it.options:
        options = [{"optionAttributes": [{"name": k, "value": v} for k, v in o["attrs"].items()],
                    "price": it.price + o["price_delta"], "quantity": o["qty"], "key": str(j)}
                   for j, o in enumerate(it.options)]
    else:
        options = [{"optionAttributes": [], "price": it.price,
                    "quantity": 9999 if it.stock is None else it.stock, "key": "0"}]
    return {
        "createdAt": it.created_ms, "updatedAt": it.updated_ms, "key": it.key,
        "id": "Item," + base64.b64encode(it.key.encode()).decode(), "name": it.name, "model": it.model,
        "production": it.brand, "origin": it.origin, "price": it.price,
        "pricePolicy": "free", "fixedPrice": None, "searchKeywords": it.keywords,
        "category": {"key": it.category_code, "name": it.category_path[-1],
                     "fullName": " > ".join(it.category_path)},
        "content": it.content, "sellerOnlyContent": "", "shippingFee": it.shipping_fee,
        "shippingType": "all", "images": it.images, "status": it.status, "options": options,
        "taxFree": it.tax_free, "adultOnly": it.adult, "returnable": True, "noReturnReason": None,
        "guaranteedShippingPeriod": 3, "openmarketSellable": True, "boxQuantity": 0,
        "attributes": ["OPENMARKET", "IS_SALE"], "closingTime": "00:00:00", "returnCriteria": None,
        "metadata": {
            "returnAddressCode": 0, "vendorKey": 2010000000 + serial % 997, "vendorNotice": None,
            "productNotificationInformation": {
                "code": 35, "categorySpecific": ["상품 상세정보에 별도 표기", it.brand, it.origin],
                "common": ["상품 상세정보에 별도 표기", "판매자 연락처 참고"]},
            "certificateInformation": list(it.extra.get("certificates") or []), "returnShippingFee": it.return_fee, "grade": "9",
        },
    }


class OwnerClanState:
    def __init__(self, count: int, seed: int, token_ttl_s: float, rpm_limit: int,
                 users: dict[str, str], jwt_key: bytes, auth_error_style: str):
        self.lock = threading.RLock()
        self.users = users
        self.jwt_key = jwt_key
        self.token_ttl_s = token_ttl_s
        self.auth_error_style = auth_error_style  # "http401" | "graphql"
        self.rate = RateWindow(rpm_limit)
        self.faults = Faults()
        self.seed = seed
        self.items: dict[str, SeedItem] = {}
        self.serial: dict[str, int] = {}
        self.order: list[str] = []
        self.rendered: dict[str, dict] = {}
        self.histories: list[dict] = []
        self.stats = {"graphql_requests": 0, "auth_requests": 0, "tokens_issued": 0, "rate_limited": 0,
                      "auth_failures": 0}
        self._add(generate_catalog(count, seed))

    def _add(self, items: list[SeedItem]) -> None:
        for it in items:
            self.serial[it.key] = len(self.order) + 1
            self.order.append(it.key)
            self.items[it.key] = it

    def item(self, key: str) -> dict | None:
        it = self.items.get(key)
        if it is None:
            return None
        r = self.rendered.get(key)
        if r is None:
            r = self.rendered[key] = render_item(it, self.serial[key])
        return r

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    def record(self, key: str, kind: str, before: Any = None, after: Any = None) -> None:
        self.histories.append({"createdAt": self.now_ms(), "kind": kind, "itemKey": key,
                               "valueBefore": before, "valueAfter": after})

    def mutate(self, key: str, change: dict) -> dict:
        with self.lock:
            it = self.items[key]
            if "price" in change and int(change["price"]) != it.price:
                new = int(change["price"])
                self.record(key, "priceIncreased" if new > it.price else "priceDecreased", it.price, new)
                it.price = new
                it.tiers = [(1, new)] + [(q, p) for q, p in it.tiers[1:]]
            if "shipping_fee" in change:
                new = int(change["shipping_fee"])
                self.record(key, "shippingFeeIncreased" if new > it.shipping_fee else "shippingFeeDecreased",
                            it.shipping_fee, new)
                it.shipping_fee = new
            if "name" in change:
                self.record(key, "nameChanged", it.name, change["name"])
                it.name = str(change["name"])
            if "stock" in change:
                new = int(change["stock"])
                before = it.stock
                if it.options:
                    for o in it.options:
                        o["qty"] = new
                    it.stock = new * len(it.options)
                else:
                    it.stock = new
                if new == 0:
                    it.status = "soldout"
                    self.record(key, "soldout", before, 0)
                else:
                    if it.status == "soldout":
                        it.status = "available"
                        self.record(key, "restocked", before, it.stock)
                    else:
                        self.record(key, "stockChanged", before, it.stock)
            if "status" in change:
                self.record(key, {"discontinued": "discontinued", "soldout": "soldout"}.get(
                    change["status"], "restocked"), it.status, change["status"])
                it.status = str(change["status"])
            it.updated_ms = self.now_ms()
            self.rendered.pop(key, None)
            return self.item(key)

    def delete(self, key: str, purge: bool) -> None:
        with self.lock:
            it = self.items[key]
            self.record(key, "discontinued", it.status, "discontinued")
            if purge:
                del self.items[key]
            else:
                it.status = "discontinued"
                it.updated_ms = self.now_ms()
            self.rendered.pop(key, None)

    def add_new(self, count: int) -> list[str]:
        with self.lock:
            start = len(self.order)
            fresh = generate_catalog(start + count, self.seed + 1)[start:]
            now = self.now_ms()
            for k, it in enumerate(fresh):
                it.key = f"N{start + k + 1:06d}"
                it.created_ms = it.updated_ms = now
            self._add(fresh)
            return [it.key for it in fresh]


def _page(seq: list, start: int, first: int | None, cursor_of) -> dict:
    first = MAX_FIRST if first is None else max(0, min(int(first), MAX_FIRST))
    chunk = seq[start:start + first]
    edges = [{"cursor": cursor_of(x), "node": x} for x in chunk]
    return {"pageInfo": {"hasNextPage": start + first < len(seq), "hasPreviousPage": start > 0,
                         "startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None},
            "edges": edges}


def _build_schema(state: OwnerClanState):
    schema = build_schema(SDL)
    json_type = schema.type_map["JSON"]
    assert isinstance(json_type, GraphQLScalarType)
    json_type.serialize = lambda v: v  # type: ignore[method-assign]
    json_type.parse_value = lambda v: v  # type: ignore[method-assign]

    def all_items(_root, _info, first=None, after=None, dateFrom=None, dateTo=None, category=None,
                  status=None, shippingLocationType=None):
        with state.lock:
            start_serial = int(after) if after else 0
            lo, hi = _to_ms(dateFrom), _to_ms(dateTo)
            limit = MAX_FIRST if first is None else max(0, min(int(first), MAX_FIRST))
            rows = []
            for key in state.order[start_serial:]:
                if len(rows) > limit:
                    break  # one extra row tells whether there is a next page
                it = state.items.get(key)
                if it is None:
                    continue
                if lo is not None and lo > 0 and it.updated_ms < lo:
                    continue
                if hi is not None and it.updated_ms > hi:
                    continue
                if status and it.status != status:
                    continue
                if category and category.strip("0") and not it.category_code.startswith(category.rstrip("0")):
                    continue
                rows.append(state.item(key))
            page = _page(rows, 0, limit, lambda n: str(state.serial[n["key"]]))
            page["pageInfo"]["hasPreviousPage"] = start_serial > 0
            return page

    def item(_root, _info, key):
        with state.lock:
            return state.item(key)

    def items(_root, _info, keys):
        if len(keys) > MAX_FIRST:
            raise ValueError(f"keys: at most {MAX_FIRST} per request")
        with state.lock:
            return [r for r in (state.item(k) for k in keys) if r is not None]

    def item_histories(_root, _info, first=None, after=None, dateFrom=None, dateTo=None, kind=None,
                       itemKey=None):
        with state.lock:
            lo, hi = _to_ms(dateFrom), _to_ms(dateTo)
            oldest = state.now_ms() - 92 * 86400 * 1000  # reaches back about 3 months
            rows = []
            for i, h in enumerate(state.histories):
                h = dict(h, _seq=i + 1)
                if h["createdAt"] < oldest or (lo is not None and h["createdAt"] < lo):
                    continue
                if hi is not None and h["createdAt"] > hi:
                    continue
                if (kind and h["kind"] != kind) or (itemKey and h["itemKey"] != itemKey):
                    continue
                rows.append(h)
            start = 0
            if after:
                start = next((j + 1 for j, h in enumerate(rows) if h["_seq"] == int(after)), len(rows))
            return _page(rows, start, first, lambda h: str(h["_seq"]))

    q = schema.query_type
    q.fields["allItems"].resolve = all_items
    q.fields["item"].resolve = item
    q.fields["items"].resolve = items
    q.fields["itemsByKeys"].resolve = items
    q.fields["itemHistories"].resolve = item_histories
    return schema


def _admin(state: OwnerClanState) -> ItemAdmin:
    def configure(body: dict) -> dict:
        with state.lock:
            if "token_ttl_s" in body:
                state.token_ttl_s = float(body["token_ttl_s"])
            if "rpm_limit" in body:
                state.rate.limit = int(body["rpm_limit"])
            if "auth_error_style" in body:
                state.auth_error_style = str(body["auth_error_style"])
            if body.get("revoke_tokens"):  # a new signing key: every issued token stops working
                state.jwt_key = state.jwt_key + b"'"
        return {"token_ttl_s": state.token_ttl_s, "rpm_limit": state.rate.limit}

    return ItemAdmin(exists=lambda k: k in state.items, delete=state.delete, mutate=state.mutate,
                     add_new=state.add_new, configure=configure,
                     stats=lambda: dict(state.stats, items=len(state.items), histories=len(state.histories)))


def create_app(count: int = 3000, seed: int = 20260101, *, token_ttl_s: float = 30 * 86400,
               rpm_limit: int = 190, rate_window_s: float = 60.0, users: dict[str, str] | None = None,
               auth_error_style: str = "http401", jwt_key: bytes = b"ownerclan-sandbox-signing-key") -> Starlette:
    """An OwnerClan sandbox seeded with `count` items. `rpm_limit` <= 0 disables rate limiting."""
    state = OwnerClanState(count, seed, token_ttl_s, rpm_limit, users or {DEFAULT_USERNAME: DEFAULT_PASSWORD},
                           jwt_key, auth_error_style)
    state.rate.window_s = rate_window_s
    schema = _build_schema(state)

    async def auth(request: Request) -> Response:
        state.stats["auth_requests"] += 1
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"message": "request body must be JSON"}, status_code=400)
        if not isinstance(body, dict) or body.get("service") != "ownerclan" or body.get("userType") != "seller":
            return JSONResponse({"message": "service must be 'ownerclan' and userType 'seller'"}, status_code=400)
        user, pw = str(body.get("username", "")), str(body.get("password", ""))
        want = state.users.get(user)
        if want is None or not hmac.compare_digest(want.encode(), pw.encode()):
            return PlainTextResponse("아이디 또는 비밀번호가 일치하지 않습니다. (invalid username or password)",
                                     status_code=401)
        now = time.time()
        token = make_jwt({"sub": user, "userType": "seller", "iat": int(now), "exp": now + state.token_ttl_s},
                         state.jwt_key)
        state.stats["tokens_issued"] += 1
        return PlainTextResponse(token)

    def auth_failure(message: str) -> Response:
        state.stats["auth_failures"] += 1
        err = {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}], "data": None}
        return JSONResponse(err, status_code=200 if state.auth_error_style == "graphql" else 401)

    async def graphql_endpoint(request: Request) -> Response:
        state.stats["graphql_requests"] += 1
        fault = await injected_fault(
            state.faults, malformed='{"data": {"allItems": {"edges": [',
            too_many=lambda: JSONResponse({"errors": [{"message": "Too many requests."}]}, status_code=429),
            error=lambda: JSONResponse({"errors": [{"message": "Internal server error (sandbox fault)",
                                                    "extensions": {"code": "INTERNAL_SERVER_ERROR"}}],
                                        "data": None}))
        if fault is not None:
            return fault
        authz = request.headers.get("authorization", "")
        if not authz.lower().startswith("bearer "):
            return auth_failure("Authorization header with a Bearer token is required")
        claims = read_jwt(authz[7:].strip(), state.jwt_key)
        if claims is None:
            return auth_failure("invalid token")
        if float(claims.get("exp", 0)) <= time.time():
            return auth_failure("jwt expired")
        if not state.rate.hit(str(claims.get("sub")), time.monotonic()):
            state.stats["rate_limited"] += 1
            return JSONResponse({"errors": [{"message": "Too many requests."}], "data": None})
        if request.method == "GET":
            query = request.query_params.get("query")
            variables = json.loads(request.query_params.get("variables") or "null")
        else:
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                return JSONResponse({"errors": [{"message": "POST body must be JSON"}]}, status_code=400)
            query, variables = body.get("query"), body.get("variables")
        if not query:
            return JSONResponse({"errors": [{"message": "Must provide query string."}]}, status_code=400)
        result = await run_in_threadpool(graphql_sync, schema, query, None, None, variables)
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [e.formatted for e in result.errors]
        return JSONResponse(out)

    app = Starlette(routes=[
        Route("/auth", auth, methods=["POST"]),
        Route("/v1/graphql", graphql_endpoint, methods=["GET", "POST"]),
        *admin_routes(state.faults, _admin(state)),
    ])
    app.state.sandbox = state
    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox on a loopback port until interrupted."""
    def extra(ap):
        ap.add_argument("--token-ttl-s", type=float, default=30 * 86400)
        ap.add_argument("--rpm-limit", type=int, default=190)

    serve_main(__doc__.splitlines()[0],
               lambda a: create_app(count=a.items, seed=a.seed, token_ttl_s=a.token_ttl_s, rpm_limit=a.rpm_limit),
               f"OwnerClan sandbox: auth {{url}}/auth, GraphQL {{url}}/v1/graphql, "
               f"user {DEFAULT_USERNAME} / {DEFAULT_PASSWORD}", extra, argv)


if __name__ == "__main__":
    main()
