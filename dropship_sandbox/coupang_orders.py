"""Coupang WING order endpoints, strict, as a local server.

Auth, from the documentation: `Authorization: CEA algorithm=HmacSHA256, access-key=..,
signed-date=yyMMddTHHmmssZ, signature=hex(HMAC-SHA256(secret, signed-date + METHOD + path +
query))`, recomputed here with `hmac` (signed-date within 5 minutes), never with the client's code.

Limits and state machine: ordersheets need `status` and `createdAtFrom/To` (yyyy-MM-dd, ≤ 31
days), `maxPerPage` ≤ 50, paging by `nextToken` ('' on the last page); acknowledgement ≤ 50 boxes,
ACCEPT only (-> INSTRUCT); invoices only for INSTRUCT boxes, Coupang carrier codes with their digit
counts, an invoice number used on another box -> DUPLICATE_INVOICE_NUMBER; cancel: ACCEPT ->
cancelled, INSTRUCT -> stop shipment. Ids are 18-digit integers in JSON.
Admin: POST /__orders/seed {"orders"}, /__orders/stop-shipment {"order_ids"}; GET /__orders/state.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import itertools
import re
import threading
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_sandbox.order_faults import orders_app, OrderFaults, fault_routes, run_with_faults
from dropship_sandbox.smartstore_orders import Bucket

KST = timezone(timedelta(hours=9))
V = "/v2/providers/openapi/apis/api"
STATUSES = {"ACCEPT", "INSTRUCT", "DEPARTURE", "DELIVERING", "FINAL_DELIVERY", "NONE_TRACKING"}
DIGITS = {"CJGLS": (10, 12), "HANJIN": (10, 12), "HYUNDAI": (10, 12, 13), "KGB": (10, 11),
          "EPOST": (13,), "KDEXP": None, "ILYANG": None, "CHUNIL": None, "DAESIN": None}
_AUTH = re.compile(r"^CEA algorithm=HmacSHA256, access-key=([^,]+), signed-date=(\d{6}T\d{6}Z), "
                   r"signature=([0-9a-f]{64})$")


def err(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": "ERROR", "message": message}, status_code=status)


def verify(auth: str, method: str, path: str, query: str, keys: dict[str, tuple[str, str]],
           now: float | None = None) -> str | None:
    """The vendor id when the CEA signature is right, else None."""
    m = _AUTH.match(auth or "")
    if not m or m.group(1) not in keys:
        return None
    secret, vendor = keys[m.group(1)]
    signed = m.group(2)
    t = calendar.timegm(time.strptime(signed, "%y%m%dT%H%M%SZ"))
    if abs((time.time() if now is None else now) - t) > 300:
        return None
    want = hmac.new(secret.encode(), f"{signed}{method}{path}{query}".encode(),
                    hashlib.sha256).hexdigest()
    return vendor if hmac.compare_digest(want, m.group(3)) else None


class CoupangOrders:
    def __init__(self, keys: dict[str, tuple[str, str]], rate: float | None):
        self.keys = keys
        self.bucket = Bucket(rate, rate or 1)
        self.lock = threading.RLock()
        self.boxes: dict[int, dict] = {}
        self.box_ids = itertools.count(853138000000005001)
        self.order_ids = itertools.count(29100000000001)
        self.item_ids = itertools.count(70000000001)
        self.invoice_boxes: dict[str, int] = {}
        self.stop_requests: list[dict] = []
        self.applied = {"ack": {}, "invoice": {}, "cancel": {}, "invoice_requests": {}}

    def seed(self, spec: dict) -> int:
        box = next(self.box_ids)
        b = spec.get("buyer") or {}
        qty = int(spec.get("quantity") or 1)
        price = int(spec.get("unit_price") or 10000)
        now = datetime.now(KST).strftime("%Y-%m-%dT%H:%M:%S")
        self.boxes[box] = {
            "shipmentBoxId": box, "orderId": next(self.order_ids), "orderedAt": now, "paidAt": now,
            "status": "ACCEPT", "orderer": {"name": b.get("name"), "email": "",
                                            "safeNumber": b.get("phone")},
            "receiver": {"name": b.get("name"), "safeNumber": b.get("phone"),
                         "addr1": b.get("address1"), "addr2": b.get("address2"),
                         "postCode": b.get("zip")},
            "parcelPrintMessage": b.get("memo") or "",
            "orderItems": [{"vendorItemId": next(self.item_ids),
                            "vendorItemName": spec.get("product_name"),
                            "sellerProductId": int(spec["goods_no"]) if str(
                                spec.get("goods_no") or "").isdigit() else 15000000001,
                            "externalVendorSkuCode": spec.get("external_sku"),
                            "shippingCount": qty, "cancelCount": 0, "holdCountForCancel": 0,
                            "salesPrice": price, "orderPrice": price * qty,
                            "estimatedShippingDate": str(date.today() + timedelta(days=2))}],
            "overseaShippingInfoDto": {"personalCustomsClearanceCode": spec.get("customs_code") or ""},
            "invoiceNumber": "", "deliveryCompanyName": "", "isCod": False, "extraProperties": {}}
        return box

    async def sheets(self, request: Request, vendor: str) -> Response:
        q = request.query_params
        if q.get("status") not in STATUSES:
            return err(400, "status is required: ACCEPT|INSTRUCT|DEPARTURE|...")
        try:
            d0 = date.fromisoformat(q.get("createdAtFrom", ""))
            d1 = date.fromisoformat(q.get("createdAtTo", ""))
        except ValueError:
            return err(400, "createdAtFrom/createdAtTo must be yyyy-MM-dd")
        if (d1 - d0).days > 31 or d1 < d0:
            return err(400, "the search window is at most 31 days")
        per = int(q.get("maxPerPage") or 50)
        if not 1 <= per <= 50:
            return err(400, "maxPerPage must be 1..50")
        start = int(q.get("nextToken") or 0)
        with self.lock:
            rows = [b for b in self.boxes.values() if b["status"] == q["status"]
                    and d0 <= date.fromisoformat(b["paidAt"][:10]) <= d1]
        page = rows[start:start + per]
        nxt = str(start + per) if start + per < len(rows) else ""
        return JSONResponse({"code": 200, "message": "OK", "data": page, "nextToken": nxt})

    async def sheet(self, request: Request, vendor: str) -> Response:
        box = self.boxes.get(int(request.path_params["box"]))
        if box is None:
            return err(404, "shipmentBoxId not found")
        return JSONResponse({"code": 200, "message": "OK", "data": box})

    async def ack(self, request: Request, vendor: str) -> Response:
        body = await request.json()
        ids = body.get("shipmentBoxIds")
        if body.get("vendorId") != vendor or not isinstance(ids, list) or not ids:
            return err(400, "vendorId and shipmentBoxIds are required")
        if len(ids) > 50:
            return err(400, "at most 50 shipmentBoxIds")
        out = []
        with self.lock:
            for i in ids:
                b = self.boxes.get(int(i))
                if b is not None and b["status"] == "ACCEPT":
                    b["status"] = "INSTRUCT"
                    self.applied["ack"][str(i)] = self.applied["ack"].get(str(i), 0) + 1
                    out.append({"shipmentBoxId": i, "succeed": True, "resultCode": "OK",
                                "retryRequired": False, "resultMessage": ""})
                else:
                    out.append({"shipmentBoxId": i, "succeed": False,
                                "resultCode": "NOT_FOUND_SHIPMENT_BOX" if b is None else "INVALID_STATUS",
                                "retryRequired": False, "resultMessage": "not ACCEPT"})
        code = 0 if all(o["succeed"] for o in out) else 1
        return JSONResponse({"code": "200", "message": "OK",
                             "data": {"responseCode": code, "responseList": out}})

    def _invoice_one(self, d: dict) -> str:
        b = self.boxes.get(int(d.get("shipmentBoxId") or 0))
        key = str(d.get("shipmentBoxId"))
        self.applied["invoice_requests"][key] = self.applied["invoice_requests"].get(key, 0) + 1
        if b is None or int(d.get("orderId") or 0) != b["orderId"]:
            return "NOT_FOUND_SHIPMENT_BOX"
        if int(d.get("vendorItemId") or 0) not in {it["vendorItemId"] for it in b["orderItems"]}:
            return "NOT_FOUND_VENDOR_ITEM"
        if b["status"] != "INSTRUCT":
            return "INVALID_STATUS"
        code, inv = d.get("deliveryCompanyCode"), str(d.get("invoiceNumber") or "")
        if code not in DIGITS or not inv.isdigit():
            return "INVALID_INVOICE_NUMBER"
        if DIGITS[code] and len(inv) not in DIGITS[code]:
            return "INVALID_INVOICE_NUMBER"
        if self.invoice_boxes.get(inv, b["shipmentBoxId"]) != b["shipmentBoxId"]:
            return "DUPLICATE_INVOICE_NUMBER"
        self.invoice_boxes[inv] = b["shipmentBoxId"]
        b.update(status="DEPARTURE", invoiceNumber=inv, deliveryCompanyName=code)
        self.applied["invoice"][key] = self.applied["invoice"].get(key, 0) + 1
        return "OK"

    async def invoices(self, request: Request, vendor: str) -> Response:
        body = await request.json()
        dtos = body.get("orderSheetInvoiceApplyDtos")
        if body.get("vendorId") != vendor or not isinstance(dtos, list) or not dtos:
            return err(400, "vendorId and orderSheetInvoiceApplyDtos are required")
        out = []
        with self.lock:
            for d in dtos:
                code = self._invoice_one(d)
                out.append({"shipmentBoxId": d.get("shipmentBoxId"), "succeed": code == "OK",
                            "resultCode": code, "retryRequired": False, "resultMessage": ""})
        return JSONResponse({"code": 200, "message": "OK", "data": {
            "responseCode": 0 if all(o["succeed"] for o in out) else 1, "responseList": out}})

    async def returns(self, request: Request, vendor: str) -> Response:
        q = request.query_params
        if q.get("searchType") != "timeFrame" or not (q.get("status") or q.get("cancelType")):
            return err(400, "searchType=timeFrame and status or cancelType are required")
        try:
            t0 = datetime.strptime(q["createdAtFrom"], "%Y-%m-%dT%H:%M")
            t1 = datetime.strptime(q["createdAtTo"], "%Y-%m-%dT%H:%M")
        except (KeyError, ValueError):
            return err(400, "createdAtFrom/To must be yyyy-MM-ddTHH:mm")
        if t1 - t0 > timedelta(hours=24):
            return err(400, "a timeFrame search covers at most 24 hours")
        with self.lock:
            rows = [r for r in self.stop_requests
                    if (q.get("status") and r["receiptStatus"] == q["status"])
                    or (q.get("cancelType") and r["cancelType"] == q["cancelType"])]
        return JSONResponse({"code": 200, "message": "OK", "data": rows})

    async def cancel(self, request: Request, vendor: str) -> Response:
        body = await request.json()
        oid = int(request.path_params["order"])
        need = ("orderId", "vendorItemIds", "receiptCounts", "bigCancelCode", "middleCancelCode",
                "vendorId", "userId")
        if any(body.get(k) in (None, "", []) for k in need) or int(body["orderId"]) != oid:
            return err(400, f"required: {', '.join(need)}")
        with self.lock:
            b = next((x for x in self.boxes.values() if x["orderId"] == oid), None)
            if b is None:
                return err(404, "order not found")
            if b["status"] not in ("ACCEPT", "INSTRUCT"):
                return err(400, "이미 출고된 주문입니다.")
            for it in b["orderItems"]:
                it["cancelCount"] = it["shippingCount"]
            b["status"] = "ACCEPT" if b["status"] == "ACCEPT" else "INSTRUCT"
            b["cancelled"] = True
            self.applied["cancel"][str(oid)] = self.applied["cancel"].get(str(oid), 0) + 1
        return JSONResponse({"code": 200, "message": "OK", "data": {"orderId": oid}})

    async def admin(self, request: Request) -> Response:
        body = await request.json()
        op = request.path_params["op"]
        with self.lock:
            if op == "seed":
                return JSONResponse({"ids": [str(self.seed(o)) for o in body.get("orders", [])]})
            if op == "stop-shipment":
                for oid in body.get("order_ids", []):
                    self.stop_requests.append({"receiptId": len(self.stop_requests) + 1,
                                               "orderId": int(oid), "receiptStatus": "RU",
                                               "cancelType": "CANCEL"})
                return JSONResponse({"ok": True})
        return JSONResponse({"error": "unknown admin op"}, status_code=404)

    def dump(self) -> dict[str, Any]:
        with self.lock:
            by: dict[str, int] = {}
            for b in self.boxes.values():
                by[b["status"]] = by.get(b["status"], 0) + 1
            return {"boxes": len(self.boxes), "by_status": by, "applied": self.applied}


def create_app(keys: dict[str, tuple[str, str]], *, rate: float | None = 10.0) -> Starlette:
    sb = CoupangOrders(keys, rate)
    faults = OrderFaults()

    def api(name: str, fn):
        async def endpoint(request: Request) -> Response:
            async def handle() -> Response:
                query = request.scope.get("query_string", b"").decode()
                vendor = verify(request.headers.get("authorization", ""), request.method,
                                request.url.path, query, sb.keys)
                if vendor is None or vendor != request.path_params.get("vendor"):
                    return err(401, "Invalid signature or vendor")
                if sb.bucket is not None and not sb.bucket.try_acquire():
                    return err(429, "Too many requests")
                return await fn(request, vendor)
            return await run_with_faults(faults, name, request, handle, err)
        return endpoint

    vv = "/vendors/{vendor}"
    routes = fault_routes(faults, sb.dump) + [
        Route(f"{V}/v5{vv}/ordersheets", api("GET ordersheets", sb.sheets)),
        Route(f"{V}/v5{vv}/ordersheets/{{box:int}}", api("GET ordersheet", sb.sheet)),
        Route(f"{V}/v4{vv}/ordersheets/acknowledgement", api("PUT acknowledgement", sb.ack),
              methods=["PUT"]),
        Route(f"{V}/v4{vv}/orders/invoices", api("POST invoices", sb.invoices), methods=["POST"]),
        Route(f"{V}/v6{vv}/returnRequests", api("GET returnRequests", sb.returns)),
        Route(f"{V}/v5{vv}/orders/{{order:int}}/cancel", api("POST cancel", sb.cancel),
              methods=["POST"]),
    ]
    return orders_app(routes, sb, faults)
