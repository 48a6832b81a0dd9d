"""ESM 2.0 (Gmarket / Auction) order endpoints, strict, as a local server.

Auth, from the documentation: `Authorization: Bearer <JWT>`, HS256, header `kid` = master id,
payload `aud = sa.esmplus.com`, `sub = sell`, `ssi` with the seller's site ids; verified with
PyJWT and the master's secret (no client code).

Rules: RequestOrders with an order status (not a lookup by order number) at most once per
`query_interval_s` (5 s) per master id, otherwise 429 with ResultCode -1; `pageSize` ≤ 100
(UNVERIFIED), window ≤ 31 days for Gmarket; OrderCheck only for status 1 (-> 2); ShippingInfo
only for status 2 (-> 3) with a numeric ESM carrier code and a numeric invoice; SellerCancel only
before shipping. Success is `ResultCode: 0`.
Admin: POST /__orders/seed {"orders"}; GET /__orders/state.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_sandbox.order_faults import orders_app, OrderFaults, fault_routes, run_with_faults

KST = timezone(timedelta(hours=9))
CARRIERS = {10013, 10007, 10008, 10001, 10003, 10016}
FMT = "%Y-%m-%d %H:%M"


def fail(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"ResultCode": code, "Message": message, "Data": None}, status_code=status)


def _fault(status: int, message: str) -> Response:
    return fail(status, -1, message)


class EsmOrders:
    def __init__(self, masters: dict[str, tuple[str, str]], query_interval_s: float):
        self.masters = masters          # master id -> (secret, site ids)
        self.interval = query_interval_s
        self.last_query: dict[str, float] = {}
        self.lock = threading.RLock()
        self.orders: dict[int, dict] = {}
        self.nos = itertools.count(4000000001)
        self.applied = {"check": {}, "ship": {}, "cancel": {}, "ship_requests": {}}
        self.query_violations = 0

    def auth(self, request: Request) -> str | None:
        h = request.headers.get("authorization", "")
        if not h.startswith("Bearer "):
            return None
        tok = h[7:]
        try:
            kid = jwt.get_unverified_header(tok).get("kid")
            secret, sites = self.masters[kid]
            claims = jwt.decode(tok, secret, algorithms=["HS256"], audience="sa.esmplus.com",
                                options={"require": ["iat", "aud", "sub", "ssi"]})
        except (jwt.PyJWTError, KeyError):
            return None
        if claims.get("sub") != "sell" or not set(claims["ssi"].split(",")) & set(sites.split(",")):
            return None
        return kid

    def seed(self, spec: dict) -> int:
        no = next(self.nos)
        b = spec.get("buyer") or {}
        qty = int(spec.get("quantity") or 1)
        now = datetime.now(KST).strftime("%Y-%m-%dT%H:%M:%S")
        self.orders[no] = {
            "OrderNo": no, "PayNo": no + 5_000_000_000, "OrderStatus": 1, "BuyerName": b.get("name"),
            "BuyerHpNo": b.get("phone"), "ReceiverName": b.get("name"), "ZipCode": b.get("zip"),
            "DelFullAddress": f"{b.get('address1', '')} {b.get('address2', '')}".strip(),
            "HpNo": b.get("phone"), "TelNo": "", "DelMemo": b.get("memo") or "",
            "GoodsName": spec.get("product_name"), "SiteGoodsNo": str(spec.get("goods_no") or ""),
            "OutGoodsNo": spec.get("seller_code") or "", "ContrAmount": qty,
            "OrderAmount": int(spec.get("unit_price") or 10000) * qty, "OrderDate": now,
            "PayDate": now, "SiteType": 2, "CancelStatus": None, "InvoiceNo": None}
        return no

    async def request_orders(self, request: Request, master: str) -> Response:
        b = await request.json()
        status = b.get("orderStatus")
        if b.get("siteType") not in (1, 2) or status not in (0, 1, 2, 3, 4, 5):
            return fail(400, 1, "siteType (1|2) and orderStatus (0..5) are required")
        if status == 0:
            with self.lock:
                o = self.orders.get(int(b.get("orderNo") or 0))
            rows = [o] if o else []
            return JSONResponse({"ResultCode": 0, "Message": None,
                                 "Data": {"TotalCount": len(rows), "RequestOrders": rows}})
        with self.lock:
            now = time.monotonic()
            if now - self.last_query.get(master, -1e9) < self.interval:
                self.query_violations += 1
                return fail(429, -1, "주문 조회는 5초에 1회만 가능합니다.")
            self.last_query[master] = now
        try:
            t0 = datetime.strptime(b["requestDateFrom"], FMT)
            t1 = datetime.strptime(b["requestDateTo"], FMT)
        except (KeyError, ValueError):
            return fail(400, 1, "requestDateFrom/To must be yyyy-MM-dd HH:mm")
        if t1 - t0 > timedelta(days=31 if b["siteType"] == 2 else 180) or b.get(
                "requestDateType") not in (1, 2, 3):
            return fail(400, 1, "window too long or requestDateType invalid")
        size, page = int(b.get("pageSize") or 100), int(b.get("pageIndex") or 1)
        if not 1 <= size <= 100 or page < 1:
            return fail(400, 1, "pageSize 1..100, pageIndex >= 1")
        with self.lock:
            rows = [o for o in self.orders.values() if o["OrderStatus"] == status
                    and o["SiteType"] == b["siteType"] and not o["CancelStatus"]
                    and t0 <= datetime.fromisoformat(o["PayDate"]) <= t1 + timedelta(minutes=1)]
        return JSONResponse({"ResultCode": 0, "Message": None, "Data": {
            "SiteType": b["siteType"], "TotalCount": len(rows),
            "RequestOrders": rows[(page - 1) * size: page * size]}})

    def _bump(self, kind: str, no: int) -> None:
        self.applied[kind][str(no)] = self.applied[kind].get(str(no), 0) + 1

    async def order_check(self, request: Request, master: str) -> Response:
        no = int(request.path_params["no"])
        with self.lock:
            o = self.orders.get(no)
            if o is None:
                return fail(404, 1, "주문이 없습니다.")
            if o["OrderStatus"] != 1 or o["CancelStatus"]:
                return fail(400, 1, "주문확인할 수 없는 상태입니다.")
            o["OrderStatus"] = 2
            self._bump("check", no)
        return JSONResponse({"ResultCode": 0, "Message": "", "Data": {"OrderNo": no}})

    async def shipping(self, request: Request, master: str) -> Response:
        b = await request.json()
        no = b.get("OrderNo")
        with self.lock:
            o = self.orders.get(int(no or 0))
            self.applied["ship_requests"][str(no)] = self.applied["ship_requests"].get(str(no), 0) + 1
            if o is None:
                return fail(404, 1, "주문이 없습니다.")
            if not isinstance(b.get("DeliveryCompanyCode"), int) or b["DeliveryCompanyCode"] not in CARRIERS:
                return fail(400, 1, "DeliveryCompanyCode must be an ESM carrier number")
            if not str(b.get("InvoiceNo") or "").isdigit() or not b.get("ShippingDate"):
                return fail(400, 1, "InvoiceNo (digits) and ShippingDate are required")
            if o["OrderStatus"] != 2 or o["CancelStatus"]:
                return fail(400, 1, "발송처리할 수 없는 상태입니다 (배송준비중 아님).")
            o.update(OrderStatus=3, InvoiceNo=b["InvoiceNo"])
            self._bump("ship", int(no))
        return JSONResponse({"ResultCode": 0, "Message": "", "Data": {"OrderNo": no}})

    async def seller_cancel(self, request: Request, master: str) -> Response:
        b = await request.json()
        with self.lock:
            o = self.orders.get(int(b.get("OrderNo") or 0))
            if o is None or b.get("SiteType") not in (1, 3):
                return fail(400, 1, "OrderNo and SiteType (1=Auction, 3=Gmarket) are required")
            if o["OrderStatus"] not in (1, 2) or o["CancelStatus"]:
                return fail(400, 1, "취소할 수 없는 상태입니다.")
            o["CancelStatus"] = "SellerCancel"
            self._bump("cancel", o["OrderNo"])
        return JSONResponse({"ResultCode": 0, "Message": "", "Data": {"OrderNo": o["OrderNo"]}})

    async def admin(self, request: Request) -> Response:
        body = await request.json()
        if request.path_params["op"] == "seed":
            with self.lock:
                return JSONResponse({"ids": [str(self.seed(o)) for o in body.get("orders", [])]})
        return JSONResponse({"error": "unknown admin op"}, status_code=404)

    def dump(self) -> dict[str, Any]:
        with self.lock:
            by: dict[str, int] = {}
            for o in self.orders.values():
                k = "cancelled" if o["CancelStatus"] else str(o["OrderStatus"])
                by[k] = by.get(k, 0) + 1
            return {"orders": len(self.orders), "by_status": by, "applied": self.applied,
                    "query_violations": self.query_violations}


def create_app(masters: dict[str, tuple[str, str]], *, query_interval_s: float = 5.0) -> Starlette:
    sb = EsmOrders(masters, query_interval_s)
    faults = OrderFaults()

    def api(name: str, fn):
        async def endpoint(request: Request) -> Response:
            async def handle() -> Response:
                master = sb.auth(request)
                if master is None:
                    return JSONResponse({"status": {"message": "Unauthorized", "status_code": 401}},
                                        status_code=401)
                return await fn(request, master)
            return await run_with_faults(faults, name, request, handle, _fault)
        return endpoint

    routes = fault_routes(faults, sb.dump) + [
        Route("/shipping/v1/Order/RequestOrders", api("POST RequestOrders", sb.request_orders),
              methods=["POST"]),
        Route("/shipping/v1/Order/OrderCheck/{no:int}", api("POST OrderCheck", sb.order_check),
              methods=["POST"]),
        Route("/shipping/v1/Delivery/ShippingInfo", api("POST ShippingInfo", sb.shipping),
              methods=["POST"]),
        Route("/claim/v1/sa/Cancels/SellerCancel", api("POST SellerCancel", sb.seller_cancel),
              methods=["POST"]),
    ]
    return orders_app(routes, sb, faults)
