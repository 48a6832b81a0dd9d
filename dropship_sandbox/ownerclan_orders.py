"""OwnerClan order mutations and queries, as a local GraphQL server (graphql-core schema).

- auth: `Authorization: Bearer <JWT>`, checked here with PyJWT (HS256, `exp`) against the key
  the sandbox's `/auth` signs with; no code of the client is used;
- `simulateCreateOrder` / `createOrder(input: OrderInput!)` (both mutations; createOrder returns a
  LIST), `allOrders(note:, shippedAfter:, first ≤ 1000, after)`, `order(key:)`, `cancelOrder`,
  `requestOrderCancellation`;
- strict: the item must exist and be available, option attributes must name one of its options,
  quantity ≤ stock (else an `OUT_OF_STOCK` error), recipient name / phone / 5-digit postal code
  required. Like the real service (as far as is known) a second order with the same `note` is
  accepted: preventing duplicates is the caller's job, and the sandbox counts them;
- state machine: paid -> preparing -> shipped; cancelOrder only while paid,
  requestOrderCancellation once preparing;
- faults (order_faults) per operation name, e.g. route "createOrder".
Admin: POST /__orders/ship {"keys": [...]} or {"all": true} sets per-product tracking;
POST /__orders/prepare {"keys"|"all"}; GET /__orders/state.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from typing import Any, Callable

import jwt
from graphql import build_schema, graphql_sync, parse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_sandbox.order_faults import OrderFaults, fault_routes, run_with_faults

SDL = """
scalar JSON
input OptionAttributeInput { name: String! value: String! }
input AddressInput { addr1: String! addr2: String postalCode: String! }
input RecipientInput { name: String! phoneNumber: String! destinationAddress: AddressInput! }
input SenderInput { name: String! phoneNumber: String! email: String }
input OrderProductInput { quantity: Int! itemKey: String! optionAttributes: [OptionAttributeInput!] }
input OrderInput { sender: SenderInput! recipient: RecipientInput! products: [OrderProductInput!]!
                   note: String sellerNote: String ordererNote: String }
input RequestOrderCancellationInput { cancelReason: String }
type ItemAmount { amount: Int! itemKey: String! }
type SimulationResult { itemAmounts: [ItemAmount!]! shippingAmount: Int! extraShippingFeeExists: Boolean! }
type OrderProduct { key: String! itemKey: String! quantity: Int! price: Int! productName: String
  trackingNumber: String shippingCompanyCode: String shippingCompanyName: String shippedDate: Float
  itemOptionInfo: JSON }
type Order { id: ID! key: String! status: String! note: String sellerNote: String ordererNote: String
  createdAt: Float! updatedAt: Float! products: [OrderProduct!]! shippingInfo: JSON }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type OrderEdge { cursor: String! node: Order! }
type OrdersConnection { pageInfo: PageInfo! edges: [OrderEdge!]! }
type Query {
  order(key: String!): Order
  allOrders(first: Int, last: Int, after: String, before: String, note: String, sellerNote: String,
            status: String, dateFrom: Float, dateTo: Float, shippedAfter: Float,
            shippedBefore: Float): OrdersConnection!
}
type Mutation {
  simulateCreateOrder(input: OrderInput!): [SimulationResult!]!
  createOrder(input: OrderInput!, simulationResult: JSON): [Order!]!
  cancelOrder(key: ID!, input: RequestOrderCancellationInput, requestOrderCancellation: Boolean): Order
  requestOrderCancellation(key: ID!, input: RequestOrderCancellationInput): Order
}
"""
CARRIERS = [("CJGLS", "CJ대한통운"), ("HANJIN", "한진택배"), ("HYUNDAI", "롯데택배"), ("EPOST", "우체국택배")]
_PHONE = re.compile(r"^0\d{1,2}-?\d{3,4}-?\d{4}$")


class OrderError(Exception):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.extensions = {"code": code}


class OwnerClanOrderState:
    def __init__(self, items: Callable[[str], dict | None], shipping_fee: int = 3000):
        self.items = items
        self.shipping_fee = shipping_fee
        self.lock = threading.RLock()
        self.orders: dict[str, dict] = {}
        self.seq = itertools.count(1)
        self.creates_by_note: dict[str, int] = {}

    def _option(self, item: dict, attrs: list[dict] | None) -> dict:
        want = {a["name"]: a["value"] for a in attrs or []}
        for opt in item["options"]:
            have = {a["name"]: a["value"] for a in opt["optionAttributes"]}
            if have == want:
                return opt
        raise OrderError(f"item {item['key']}: no option {want}", "INVALID_OPTION")

    def price(self, inp: dict) -> tuple[list[dict], int]:
        rcp = inp["recipient"]
        if not rcp["name"].strip() or not _PHONE.match(rcp["phoneNumber"]):
            raise OrderError("recipient name and phone number are required", "INVALID_RECIPIENT")
        if not re.fullmatch(r"\d{5}", rcp["destinationAddress"]["postalCode"] or ""):
            raise OrderError("postalCode must be 5 digits", "INVALID_ADDRESS")
        lines = []
        for p in inp["products"]:
            item = self.items(p["itemKey"])
            if item is None or item.get("status") not in ("available", None):
                raise OrderError(f"item {p['itemKey']} 판매중이 아닙니다 (OUT_OF_STOCK)", "OUT_OF_STOCK")
            opt = self._option(item, p.get("optionAttributes"))
            if p["quantity"] < 1:
                raise OrderError("quantity must be >= 1", "INVALID_QUANTITY")
            if opt["quantity"] < 9999 and p["quantity"] > opt["quantity"]:
                raise OrderError(f"item {p['itemKey']} 품절 (OUT_OF_STOCK)", "OUT_OF_STOCK")
            lines.append({"item": item, "opt": opt, "qty": p["quantity"],
                          "amount": opt["price"] * p["quantity"]})
        return lines, self.shipping_fee

    def create(self, inp: dict) -> dict:
        with self.lock:
            lines, fee = self.price(inp)
            n = next(self.seq)
            key = f"20{n:018d}A"
            now = time.time() * 1000
            order = {"id": f"Order,{n}", "key": key, "status": "paid", "note": inp.get("note"),
                     "sellerNote": inp.get("sellerNote"), "ordererNote": inp.get("ordererNote"),
                     "createdAt": now, "updatedAt": now,
                     "shippingInfo": {"recipient": inp["recipient"], "shippingFee": fee},
                     "products": [{"key": f"{key}-{i}", "itemKey": ln["item"]["key"],
                                   "quantity": ln["qty"], "price": ln["opt"]["price"],
                                   "productName": ln["item"]["name"], "trackingNumber": None,
                                   "shippingCompanyCode": None, "shippingCompanyName": None,
                                   "shippedDate": None,
                                   "itemOptionInfo": {"optionAttributes":
                                                      ln["opt"]["optionAttributes"]}}
                                  for i, ln in enumerate(lines)]}
            self.orders[key] = order
            note = inp.get("note") or ""
            self.creates_by_note[note] = self.creates_by_note.get(note, 0) + 1
            return order

    def ship(self, keys: list[str] | None) -> int:
        n = 0
        with self.lock:
            for key, o in self.orders.items():
                if (keys is None or key in keys) and o["status"] in ("paid", "preparing"):
                    code, name = CARRIERS[int(o["id"].split(",")[1]) % len(CARRIERS)]
                    now = time.time() * 1000
                    for p in o["products"]:
                        digits = 13 if code == "EPOST" else 12
                        p.update(trackingNumber=str(int(o["id"].split(",")[1]) + 10 ** (digits - 1)),
                                 shippingCompanyCode=code, shippingCompanyName=name,
                                 shippedDate=now)
                    o.update(status="shipped", updatedAt=now)
                    n += 1
        return n

    def dump(self) -> dict:
        with self.lock:
            dups = {k: v for k, v in self.creates_by_note.items() if v > 1}
            by_status: dict[str, int] = {}
            for o in self.orders.values():
                by_status[o["status"]] = by_status.get(o["status"], 0) + 1
            return {"orders": len(self.orders), "by_status": by_status,
                    "creates_by_note": dict(self.creates_by_note), "duplicate_notes": dups}


def _resolvers(st: OwnerClanOrderState) -> dict[str, Any]:
    def all_orders(_r, _i, first=None, after=None, note=None, shippedAfter=None, status=None,
                   **_kw):
        if first is not None and not 1 <= first <= 1000:
            raise OrderError("first must be between 1 and 1000", "INVALID_ARGUMENT")
        with st.lock:
            rows = [o for o in st.orders.values()
                    if (note is None or o["note"] == note) and (status is None or o["status"] == status)
                    and (shippedAfter is None or any((p["shippedDate"] or -1) >= shippedAfter
                                                     for p in o["products"]))]
        start = int(after) if after else 0
        page = rows[start:start + (first or 100)]
        return {"pageInfo": {"hasNextPage": start + len(page) < len(rows),
                             "endCursor": str(start + len(page))},
                "edges": [{"cursor": str(start + i + 1), "node": o} for i, o in enumerate(page)]}

    def cancel(_r, _i, key, input=None, requestOrderCancellation=None):
        with st.lock:
            o = st.orders.get(key)
            if o is None:
                raise OrderError(f"no order {key}", "NOT_FOUND")
            if o["status"] != "paid":
                raise OrderError(f"order is {o['status']}: use requestOrderCancellation",
                                 "INVALID_STATUS")
            o.update(status="cancelled", updatedAt=time.time() * 1000)
            return o

    def request_cancel(_r, _i, key, input=None):
        with st.lock:
            o = st.orders.get(key)
            if o is None or o["status"] not in ("preparing", "paid"):
                raise OrderError("order cannot be cancelled now", "INVALID_STATUS")
            o.update(status="cancelRequested", updatedAt=time.time() * 1000)
            return o

    def simulate(_r, _i, input):
        lines, fee = st.price(input)
        return [{"itemAmounts": [{"amount": ln["amount"], "itemKey": ln["item"]["key"]}
                                 for ln in lines],
                 "shippingAmount": fee, "extraShippingFeeExists": False}]

    fns = {"order": lambda _r, _i, key: st.orders.get(key), "allOrders": all_orders,
           "simulateCreateOrder": simulate,
           "createOrder": lambda _r, _i, input, simulationResult=None: [st.create(input)],
           "cancelOrder": cancel, "requestOrderCancellation": request_cancel}
    # graphql-core calls a callable root field as f(info, **args)
    return {k: (lambda f: lambda info, **a: f(None, info, **a))(f) for k, f in fns.items()}


def _op_fields(query: str) -> str:
    try:
        doc = parse(query)
    except Exception:  # noqa: BLE001 - graphql_sync reports the syntax error itself
        return "invalid"
    return ",".join(sel.name.value for d in doc.definitions
                    for sel in getattr(getattr(d, "selection_set", None), "selections", []) or [])


def create_app(items: Callable[[str], dict | None], *,
               jwt_key: bytes | Callable[[], bytes] = b"ownerclan-sandbox-signing-key",
               shipping_fee: int = 3000) -> Starlette:
    st = OwnerClanOrderState(items, shipping_fee)
    faults = OrderFaults()
    schema = build_schema(SDL)
    root = _resolvers(st)

    def error(status: int, message: str) -> Response:
        return JSONResponse({"errors": [{"message": message}]}, status_code=status)

    async def graphql(request: Request) -> Response:
        authz = request.headers.get("authorization", "")
        key = jwt_key() if callable(jwt_key) else jwt_key
        try:
            jwt.decode(authz[7:].strip(), key, algorithms=["HS256"],
                       options={"require": ["exp", "sub"]})
        except jwt.PyJWTError as exc:
            return JSONResponse({"errors": [{"message": f"invalid token: {type(exc).__name__}",
                                             "extensions": {"code": "UNAUTHENTICATED"}}]},
                                status_code=401)
        body = await request.json() if request.method == "POST" else {
            "query": request.query_params.get("query"),
            "variables": json.loads(request.query_params.get("variables") or "null")}
        query = body.get("query") or ""
        if request.method == "GET" and query.lstrip().startswith("mutation"):
            return error(405, "mutations must be sent with POST")

        async def handle() -> Response:
            res = await run_in_threadpool(graphql_sync, schema, query, root, None,
                                          body.get("variables"))
            out: dict[str, Any] = {"data": res.data}
            if res.errors:
                out["errors"] = [e.formatted for e in res.errors]
            return JSONResponse(out)

        return await run_with_faults(faults, _op_fields(query), request, handle, error)

    async def ship(request: Request) -> Response:
        body = await request.json()
        return JSONResponse({"shipped": st.ship(None if body.get("all") else body.get("keys"))})

    async def prepare(request: Request) -> Response:
        body = await request.json()
        with st.lock:
            for k, o in st.orders.items():
                if (body.get("all") or k in body.get("keys", [])) and o["status"] == "paid":
                    o["status"] = "preparing"
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/v1/graphql", graphql, methods=["GET", "POST"]),
                            Route("/__orders/ship", ship, methods=["POST"]),
                            Route("/__orders/prepare", prepare, methods=["POST"])]
                    + fault_routes(faults, st.dump))
    app.state.orders = st
    app.state.faults = faults
    return app
