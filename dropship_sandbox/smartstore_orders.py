"""Naver Commerce API order endpoints, strict, as a local server.

Auth is checked here, from the documentation: the token request must be a form-urlencoded BODY
(fields in the query string -> 429 GW.QUOTA_LIMIT), the timestamp within 5 minutes, and
`client_secret_sign` must be base64 of a bcrypt hash of `{client_id}_{timestamp}` made with the
client secret as salt (verified with `bcrypt.checkpw` and the salt compared, not recomputed with
the client's code). Issued tokens are shared with the product sandbox through `share_token`.

Limits: last-changed-statuses `limitCount` ≤ 300, `lastChangedTo` ≤ from + 24 h, valid
`lastChangedType`; product-orders/query ≤ 300 ids; confirm ≤ 30; dispatch ≤ 30; per-app token
bucket (429 GW.RATE_LIMIT). State machine: confirm only PAYED + NOT_YET; dispatch only PAYED + OK
with a Naver carrier code and a numeric tracking number; seller cancel only before dispatch.
Admin: POST /__orders/seed {"orders": [...]}, /__orders/buyer-cancel {"ids"},
/__orders/change-address {"id", "address1"}, GET /__orders/state.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import bcrypt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dropship_core.http import TokenBucket
from dropship_sandbox.order_faults import orders_app, OrderFaults, fault_routes, run_with_faults

KST = timezone(timedelta(hours=9))
BASE = "/v1/pay-order/seller/product-orders"
CHANGED_TYPES = {"PAY_WAITING", "PAYED", "EXCHANGE_OPTION", "DELIVERY_ADDRESS_CHANGED",
                 "GIFT_RECEIVED", "CLAIM_REJECTED", "DISPATCHED", "CLAIM_REQUESTED", "COLLECT_DONE",
                 "CLAIM_COMPLETED", "PURCHASE_DECIDED", "HOPE_DELIVERY_INFO_CHANGED",
                 "CLAIM_REDELIVERING"}
CARRIERS = {"CJGLS", "HANJIN", "HYUNDAI", "KGB", "EPOST", "KDEXP", "ILYANG", "CHUNIL", "DAESIN",
            "CH1"}
_B64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _now() -> datetime:
    return datetime.now(KST)


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds")


def err(status: int, code: str, message: str, invalid: list | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message, "timestamp": _iso(_now()),
                            "traceId": secrets.token_hex(6)}
    if invalid:
        body["invalidInputs"] = [{"name": n, "type": "NotValid", "message": m} for n, m in invalid]
    return JSONResponse(body, status_code=status, headers={"GNCP-GW-Trace-ID": body["traceId"]})


def _fault(status: int, message: str) -> Response:
    return err(status, {429: "GW.RATE_LIMIT"}.get(status, "GW.INTERNAL_SERVER_ERROR"), message)


def salt_of(secret: str) -> str:
    """The 29-character bcrypt salt of the client secret, with the unused low bits of its last
    character cleared (as OpenBSD/jBCrypt read it)."""
    s = secret[:29]
    i = _B64.find(s[-1])
    return s[:-1] + (_B64[i & 0x30] if i >= 0 else s[-1])


def sign_ok(client_id: str, secret: str, ts: str, sign: str) -> bool:
    try:
        hashed = base64.b64decode(sign, validate=True)
    except ValueError:
        return False
    if hashed[:29].decode(errors="replace") != salt_of(secret):
        return False
    try:
        return bcrypt.checkpw(f"{client_id}_{ts}".encode(), hashed)
    except ValueError:
        return False


def Bucket(rate: float | None, burst: float) -> TokenBucket | None:
    """The sandbox's own limit (None: unlimited), on the same token bucket the clients pace with."""
    return TokenBucket(rate, burst) if rate else None


class NaverOrders:
    def __init__(self, clients: dict[str, str], rate: float | None, burst: float,
                 share_token: Callable[[str, str, float], None] | None):
        self.clients, self.share_token = clients, share_token
        self.bucket = Bucket(rate, burst)
        self.tokens: dict[str, float] = {}
        self.lock = threading.RLock()
        self.po: dict[str, dict] = {}
        self.seq = itertools.count(1)
        self.ids = itertools.count(2026120100000001)
        self.applied = {"confirm": {}, "dispatch": {}, "cancel": {}, "dispatch_requests": {}}

    # -- auth ------------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        if any(k in request.query_params for k in ("client_id", "client_secret_sign", "timestamp")):
            return err(429, "GW.QUOTA_LIMIT", "비표준 토큰 요청")
        if not request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"):
            return err(400, "BAD_REQUEST", "form-urlencoded body required")
        f = await request.form()
        missing = [k for k in ("client_id", "timestamp", "client_secret_sign", "grant_type", "type")
                   if not f.get(k)]
        if missing or f.get("grant_type") != "client_credentials" or f.get("type") not in (
                "SELF", "SELLER"):
            return err(400, "BAD_REQUEST", "invalid token request", [(m, "required") for m in missing])
        secret = self.clients.get(str(f["client_id"]))
        ts = str(f["timestamp"])
        if secret is None or not ts.isdigit() or abs(time.time() * 1000 - int(ts)) > 300_000:
            return err(401, "GW.AUTHN", "client or timestamp invalid")
        if not sign_ok(str(f["client_id"]), secret, ts, str(f["client_secret_sign"])):
            return err(401, "GW.AUTHN", "client_secret_sign invalid")
        tok = secrets.token_urlsafe(24)
        exp = time.time() + 10800
        with self.lock:
            self.tokens[tok] = exp
        if self.share_token:
            self.share_token(tok, str(f["client_id"]), exp)
        return JSONResponse({"access_token": tok, "expires_in": 10800, "token_type": "Bearer"})

    def auth(self, request: Request) -> Response | None:
        h = request.headers.get("authorization", "")
        exp = self.tokens.get(h[7:]) if h.startswith("Bearer ") else None
        if exp is None or exp < time.time():
            return err(401, "GW.AUTHN", "요청을 보낼 권한이 없습니다.")
        if self.bucket is not None and not self.bucket.try_acquire():
            return err(429, "GW.RATE_LIMIT", "요청이 많아 서비스를 일시적으로 사용할 수 없습니다.")
        return None

    # -- seeding and views -----------------------------------------------------------------
    def _change(self, po: dict, ctype: str) -> None:
        po["lastChangedType"] = ctype
        po["lastChangedDate"] = _iso(_now())
        po["seq"] = next(self.seq)

    def seed(self, spec: dict) -> str:
        with self.lock:
            pid = str(next(self.ids))
            b = spec.get("buyer") or {}
            qty = int(spec.get("quantity") or 1)
            po = {"productOrderId": pid, "orderId": pid[:-1] + "0",
                  "productOrderStatus": "PAYED", "placeOrderStatus": "NOT_YET",
                  "claimType": None, "claimStatus": None, "productName": spec.get("product_name"),
                  "sellerProductCode": spec.get("seller_code"),
                  "optionManageCode": spec.get("option_code"), "quantity": qty,
                  "unitPrice": int(spec.get("unit_price") or 10000),
                  "totalPaymentAmount": int(spec.get("unit_price") or 10000) * qty,
                  "paymentDate": _iso(_now()), "buyer": b,
                  "customs": spec.get("customs_code"), "delivery": None}
            self._change(po, "PAYED")
            self.po[pid] = po
            return pid

    def view(self, po: dict) -> dict:
        b = po["buyer"]
        return {"order": {"orderId": po["orderId"], "paymentDate": po["paymentDate"],
                          "ordererName": b.get("name"), "ordererTel": b.get("phone")},
                "productOrder": {
                    k: po[k] for k in ("productOrderId", "productOrderStatus", "placeOrderStatus",
                                       "claimType", "claimStatus", "productName",
                                       "sellerProductCode", "optionManageCode", "quantity",
                                       "unitPrice", "totalPaymentAmount")} | {
                    "individualCustomUniqueCode": None if po["productOrderStatus"] in (
                        "CANCELED", "PURCHASE_DECIDED") else po["customs"],
                    "shippingDueDate": _iso(_now() + timedelta(days=2)),
                    "shippingMemo": b.get("memo"),
                    "shippingAddress": {"name": b.get("name"), "tel1": b.get("phone"),
                                        "baseAddress": b.get("address1"),
                                        "detailedAddress": b.get("address2"),
                                        "zipCode": b.get("zip")}},
                "delivery": po["delivery"]}

    # -- endpoints -------------------------------------------------------------------------
    async def changed(self, request: Request) -> Response:
        q = request.query_params
        bad = []
        try:
            frm = datetime.fromisoformat(q.get("lastChangedFrom", ""))
            if frm.tzinfo is None:
                raise ValueError
        except ValueError:
            return err(400, "BAD_REQUEST", "lastChangedFrom (ISO 8601 with offset) required")
        to = datetime.fromisoformat(q["lastChangedTo"]) if q.get("lastChangedTo") else \
            frm + timedelta(hours=24)
        if to - frm > timedelta(hours=24):
            bad.append(("lastChangedTo", "24시간 이내"))
        limit = int(q.get("limitCount") or 300)
        if not 1 <= limit <= 300:
            bad.append(("limitCount", "1 ~ 300"))
        ctype = q.get("lastChangedType")
        if ctype and ctype not in CHANGED_TYPES:
            bad.append(("lastChangedType", "invalid enum"))
        if bad:
            return err(400, "BAD_REQUEST", "요청 값이 올바르지 않습니다.", bad)
        seq = int(q.get("moreSequence") or 0)
        with self.lock:
            rows = sorted((p for p in self.po.values()
                           if frm <= datetime.fromisoformat(p["lastChangedDate"]) <= to
                           and (not ctype or p["lastChangedType"] == ctype) and p["seq"] >= seq),
                          key=lambda p: (p["lastChangedDate"], p["seq"]))
        page, rest = rows[:limit], rows[limit:]
        data: dict[str, Any] = {"count": len(page), "lastChangeStatuses": [
            {"orderId": p["orderId"], "productOrderId": p["productOrderId"],
             "lastChangedType": p["lastChangedType"], "lastChangedDate": p["lastChangedDate"],
             "paymentDate": p["paymentDate"], "productOrderStatus": p["productOrderStatus"],
             "claimType": p["claimType"], "claimStatus": p["claimStatus"],
             "receiverAddressChanged": False, "giftReceivingStatus": None} for p in page]}
        if rest:
            data["more"] = {"moreFrom": rest[0]["lastChangedDate"], "moreSequence": str(rest[0]["seq"])}
        return JSONResponse({"timestamp": _iso(_now()), "data": data})

    async def _ids(self, request: Request, key: str, limit: int) -> tuple[list, Response | None]:
        body = await request.json()
        ids = body.get(key) if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids:
            return [], err(400, "BAD_REQUEST", f"{key} required", [(key, "required")])
        if len(ids) > limit:
            return [], err(400, "BAD_REQUEST", f"최대 {limit}개", [(key, f"max {limit}")])
        return ids, None

    async def query(self, request: Request) -> Response:
        ids, bad = await self._ids(request, "productOrderIds", 300)
        if bad:
            return bad
        with self.lock:
            data = [self.view(self.po[str(i)]) for i in ids if str(i) in self.po]
        return JSONResponse({"timestamp": _iso(_now()), "data": data})

    async def confirm(self, request: Request) -> Response:
        ids, bad = await self._ids(request, "productOrderIds", 30)
        if bad:
            return bad
        with self.lock:
            results = [self._confirm_one(i) for i in map(str, ids)]
        ok = [r for r in results if "code" not in r]
        fail = [r for r in results if "code" in r]
        return JSONResponse({"data": {"successProductOrderInfos": ok, "failProductOrderInfos": fail}})

    def _confirm_one(self, i: str) -> dict:
        po = self.po.get(i)
        if not (po and po["productOrderStatus"] == "PAYED" and po["placeOrderStatus"] == "NOT_YET"):
            return {"productOrderId": i, "code": "104443", "message": "발주 확인할 수 없는 상태입니다."}
        po["placeOrderStatus"] = "OK"
        self._count("confirm", i)
        return {"productOrderId": i, "isReceiverAddressChanged": bool(po.get("address_changed"))}

    def _count(self, kind: str, order_id: str) -> None:
        """How many times each operation reached the state (tests check nothing was applied twice)."""
        self.applied[kind][order_id] = self.applied[kind].get(order_id, 0) + 1

    def _dispatch_one(self, d: dict) -> str | None:
        i = str(d.get("productOrderId"))
        po = self.po.get(i)
        self._count("dispatch_requests", i)
        if po is None:
            return "NOT_FOUND"
        if po["productOrderStatus"] != "PAYED" or po["placeOrderStatus"] != "OK" or po["claimType"]:
            return "INVALID_STATUS"
        if d.get("deliveryMethod") != "DELIVERY" or d.get("deliveryCompanyCode") not in CARRIERS:
            return "INVALID_DELIVERY_COMPANY"
        if not str(d.get("trackingNumber") or "").isdigit():
            return "INVALID_TRACKING_NUMBER"
        try:
            when = datetime.fromisoformat(d.get("dispatchDate") or "")
        except ValueError:
            return "INVALID_DISPATCH_DATE"
        if when > _now() + timedelta(minutes=1):
            return "INVALID_DISPATCH_DATE"
        po["productOrderStatus"] = "DELIVERING"
        po["delivery"] = {"deliveryMethod": "DELIVERY", "deliveryCompany": d["deliveryCompanyCode"],
                          "trackingNumber": d["trackingNumber"], "sendDate": d["dispatchDate"],
                          "deliveryStatus": "DELIVERING"}
        self._change(po, "DISPATCHED")
        self._count("dispatch", i)
        return None

    async def dispatch(self, request: Request) -> Response:
        items, bad = await self._ids(request, "dispatchProductOrders", 30)
        if bad:
            return bad
        with self.lock:
            codes = [(str(d.get("productOrderId")), self._dispatch_one(d)) for d in items]
        return JSONResponse({"data": {
            "successProductOrderIds": [i for i, code in codes if code is None],
            "failProductOrderInfos": [{"productOrderId": i, "code": code, "message": code}
                                      for i, code in codes if code is not None]}})

    async def cancel(self, request: Request) -> Response:
        i = request.path_params["pid"]
        body = await request.json()
        with self.lock:
            po = self.po.get(i)
            if po is None:
                return err(404, "NOT_FOUND", "상품주문이 없습니다.")
            if body.get("cancelReason") not in ("SOLD_OUT", "DELAYED_DELIVERY", "PRODUCT_UNSATISFIED"):
                return err(400, "BAD_REQUEST", "cancelReason", [("cancelReason", "invalid")])
            if po["productOrderStatus"] != "PAYED":
                return err(400, "INVALID_STATUS", "취소할 수 없는 상태입니다.")
            po.update(productOrderStatus="CANCELED", claimType="CANCEL", claimStatus="CANCEL_DONE")
            self._change(po, "CLAIM_COMPLETED")
            self._count("cancel", i)
        return JSONResponse({"data": {"productOrderId": i}})

    async def approve(self, request: Request) -> Response:
        i = request.path_params["pid"]
        with self.lock:
            po = self.po.get(i)
            if po is None or po["claimStatus"] != "CANCEL_REQUEST":
                return err(400, "INVALID_STATUS", "취소 요청이 없습니다.")
            po.update(productOrderStatus="CANCELED", claimStatus="CANCEL_DONE")
            self._change(po, "CLAIM_COMPLETED")
            self._count("cancel", i)
        return JSONResponse({"data": {"productOrderId": i}})

    async def admin(self, request: Request) -> Response:
        body = await request.json()
        op = request.path_params["op"]
        with self.lock:
            if op == "seed":
                return JSONResponse({"ids": [self.seed(o) for o in body.get("orders", [])]})
            if op == "buyer-cancel":
                for i in body.get("ids", []):
                    self.po[str(i)].update(claimType="CANCEL", claimStatus="CANCEL_REQUEST")
                    self._change(self.po[str(i)], "CLAIM_REQUESTED")
                return JSONResponse({"ok": True})
            if op == "change-address":
                po = self.po[str(body["id"])]
                po["buyer"] = dict(po["buyer"], address1=body["address1"])
                po["address_changed"] = True
                self._change(po, "DELIVERY_ADDRESS_CHANGED")
                return JSONResponse({"ok": True})
        return JSONResponse({"error": "unknown admin op"}, status_code=404)

    def dump(self) -> dict:
        with self.lock:
            by: dict[str, int] = {}
            for p in self.po.values():
                by[p["productOrderStatus"]] = by.get(p["productOrderStatus"], 0) + 1
            return {"orders": len(self.po), "by_status": by, "applied": self.applied}


def create_app(clients: dict[str, str], *, rate: float | None = 2.0, burst: float = 4.0,
               share_token: Callable[[str, str, float], None] | None = None) -> Starlette:
    sb = NaverOrders(clients, rate, burst, share_token)
    faults = OrderFaults()

    def api(name: str, fn, auth: bool = True):
        async def endpoint(request: Request) -> Response:
            async def handle() -> Response:
                if auth:
                    denied = sb.auth(request)
                    if denied is not None:
                        return denied
                return await fn(request)
            return await run_with_faults(faults, name, request, handle, _fault)
        return endpoint

    routes = fault_routes(faults, sb.dump) + [
        Route("/v1/oauth2/token", api("POST token", sb.token, auth=False), methods=["POST"]),
        Route(f"{BASE}/last-changed-statuses", api("GET last-changed-statuses", sb.changed)),
        Route(f"{BASE}/query", api("POST query", sb.query), methods=["POST"]),
        Route(f"{BASE}/confirm", api("POST confirm", sb.confirm), methods=["POST"]),
        Route(f"{BASE}/dispatch", api("POST dispatch", sb.dispatch), methods=["POST"]),
        Route(f"{BASE}/{{pid}}/claim/cancel/request", api("POST cancel/request", sb.cancel),
              methods=["POST"]),
        Route(f"{BASE}/{{pid}}/claim/cancel/approve", api("POST cancel/approve", sb.approve),
              methods=["POST"]),
    ]
    return orders_app(routes, sb, faults)
