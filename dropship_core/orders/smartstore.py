"""SmartStore (Naver Commerce API) orders: collect, confirm, dispatch, cancel.

Wire facts: contracts/orders.md section 1. Token and pacing come from `SmartStoreClient`.
- collect: `last-changed-statuses?lastChangedType=PAYED` (≤300 a page), continued with
  `lastChangedFrom=more.moreFrom` + `moreSequence`; the checkpoint is that pair, saved per page.
  Details from `product-orders/query` in chunks of ≤300 (the detail wins over the poll).
  A new order is PAYED + placeOrderStatus NOT_YET.
- confirm ≤30 ids, dispatch ≤30 items; both answer per-item success and failure lists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from dropship_core.markets.smartstore import SmartStoreClient
from dropship_core.orders.model import CollectedLine, KST, MarketOrdersBase, chunks

BASE = "/v1/pay-order/seller/product-orders"
PAGE, DETAIL_CHUNK, CONFIRM_CHUNK, DISPATCH_CHUNK = 300, 300, 30, 30


def iso(dt: datetime) -> str:
    return dt.astimezone(KST).isoformat(timespec="milliseconds")


class SmartStoreOrders(MarketOrdersBase):
    market = "smartstore"

    def __init__(self, client: SmartStoreClient, lookback_hours: float = 24.0):
        super().__init__(client)
        self.lookback = timedelta(hours=lookback_hours)

    # -- collect ---------------------------------------------------------------------------
    def changed_pages(self, cursor: dict | None):
        """Yields (product order ids of one page, the checkpoint after that page)."""
        now = datetime.now(KST)
        cur = dict(cursor or {"from": iso(now - self.lookback), "more_sequence": None})
        while True:
            q = {"lastChangedFrom": cur["from"], "lastChangedType": "PAYED", "limitCount": PAGE}
            start = datetime.fromisoformat(cur["from"])
            if start + timedelta(hours=24) < now:
                q["lastChangedTo"] = iso(start + timedelta(hours=24))
            if cur.get("more_sequence"):
                q["moreSequence"] = cur["more_sequence"]
            body = self.c._call("GET", f"{BASE}/last-changed-statuses?{urlencode(q)}",
                                route=f"GET {BASE}/last-changed-statuses") or {}
            data = body.get("data") or {}
            rows = data.get("lastChangeStatuses") or []
            ids = list(dict.fromkeys(str(r["productOrderId"]) for r in rows))
            more = data.get("more")
            if more:
                cur = {"from": more["moreFrom"], "more_sequence": str(more["moreSequence"])}
            elif "lastChangedTo" in q:
                cur = {"from": q["lastChangedTo"], "more_sequence": None}
            else:
                last = max((r["lastChangedDate"] for r in rows), default=cur["from"])
                yield ids, {"from": last, "more_sequence": None}
                return
            yield ids, cur

    def details(self, ids: list[str]) -> list[dict]:
        out = []
        for chunk in chunks(ids, DETAIL_CHUNK):
            body = self.c._call("POST", f"{BASE}/query", route=f"POST {BASE}/query",
                                json={"productOrderIds": chunk, "quantityClaimCompatibility": True},
                                idempotent=True) or {}
            out += body.get("data") or []
        return out

    def collect(self, cursor: dict | None, sink) -> None:
        """Page by page: `sink(lines, checkpoint)` stores the lines, then the checkpoint, so a
        crash never skips a page."""
        for ids, cur in self.changed_pages(cursor):
            sink([to_line(d) for d in self.details(ids)] if ids else [], cur)

    def read(self, lines: list[dict]) -> dict[str, dict]:
        """The market's view of our lines: status, confirmed/dispatched/cancel-requested."""
        out = {}
        for d in self.details([ln["market_line_id"] for ln in lines]):
            po = d.get("productOrder") or {}
            claim = d.get("currentClaim") or {}
            ctype = po.get("claimType") or claim.get("claimType")
            cstatus = po.get("claimStatus") or claim.get("claimStatus")
            st = po.get("productOrderStatus")
            out[str(po.get("productOrderId"))] = {
                "market_status": st, "confirmed": po.get("placeOrderStatus") == "OK",
                "dispatched": st in ("DELIVERING", "DELIVERED", "PURCHASE_DECIDED"),
                "cancelled": st in ("CANCELED", "CANCELED_BY_NOPAYMENT"),
                "cancel_requested": ctype == "CANCEL" and cstatus in ("CANCEL_REQUEST",
                                                                       "CANCELING"),
                "line": to_line(d)}
        return out

    # -- confirm / dispatch / cancel ------------------------------------------------------
    def confirm(self, lines: list[dict]) -> dict[str, dict]:
        res: dict[str, dict] = {}
        for chunk in chunks([ln["market_line_id"] for ln in lines], CONFIRM_CHUNK):
            body = self.c._call("POST", f"{BASE}/confirm", route=f"POST {BASE}/confirm",
                                json={"productOrderIds": chunk}, idempotent=True) or {}
            data = body.get("data") or {}
            for s in data.get("successProductOrderInfos") or []:
                res[str(s["productOrderId"])] = {
                    "ok": True, "receiver_changed": bool(s.get("isReceiverAddressChanged"))}
            for f in data.get("failProductOrderInfos") or []:
                res[str(f["productOrderId"])] = {"ok": False, "error": {
                    "code": f.get("code"), "message": f.get("message")}}
        return res

    def dispatch(self, items: list[dict]) -> dict[str, dict]:
        """items: {market_line_id, carrier_code, tracking_number}."""
        res: dict[str, dict] = {}
        now = iso(datetime.now(KST))
        for chunk in chunks(items, DISPATCH_CHUNK):
            body = self.c._call(
                "POST", f"{BASE}/dispatch", route=f"POST {BASE}/dispatch", idempotent=False,
                json={"dispatchProductOrders": [
                    {"productOrderId": it["market_line_id"], "deliveryMethod": "DELIVERY",
                     "deliveryCompanyCode": it["carrier_code"],
                     "trackingNumber": it["tracking_number"], "dispatchDate": now}
                    for it in chunk]}) or {}
            data = body.get("data") or {}
            for pid in data.get("successProductOrderIds") or []:
                res[str(pid)] = {"ok": True}
            for f in data.get("failProductOrderInfos") or []:
                res[str(f["productOrderId"])] = {"ok": False, "error": {
                    "code": f.get("code"), "message": f.get("message")}}
        return res

    def cancel(self, line: dict, reason: str = "SOLD_OUT") -> dict:
        pid = line["market_line_id"]
        self.c._call("POST", f"{BASE}/{pid}/claim/cancel/request", idempotent=False,
                     route=f"POST {BASE}/{{id}}/claim/cancel/request",
                     json={"cancelReason": reason, "cancelQuantity": int(line["quantity"])})
        return {"ok": True}

    def approve_cancel(self, line: dict) -> dict:
        pid = line["market_line_id"]
        self.c._call("POST", f"{BASE}/{pid}/claim/cancel/approve", idempotent=False,
                     route=f"POST {BASE}/{{id}}/claim/cancel/approve")
        return {"ok": True}


def to_line(d: dict[str, Any]) -> CollectedLine:
    order, po = d.get("order") or {}, d.get("productOrder") or {}
    addr = po.get("shippingAddress") or {}
    st = po.get("productOrderStatus") or ""
    return CollectedLine(
        market="smartstore", market_line_id=str(po["productOrderId"]),
        market_order_id=str(order.get("orderId") or ""), market_status=st,
        product_name=str(po.get("productName") or ""), quantity=int(po.get("quantity") or 1),
        unit_price=int(po.get("unitPrice") or 0),
        total_price=int(po.get("totalPaymentAmount") or 0),
        paid_at=order.get("paymentDate"),
        match_keys={"seller_code": po.get("sellerProductCode") or "",
                    "option_code": po.get("optionManageCode") or "",
                    "goods_no": str(po.get("originalProductId") or "")},
        pii={"buyer_name": order.get("ordererName"), "buyer_phone": order.get("ordererTel"),
             "receiver_name": addr.get("name"), "receiver_phone": addr.get("tel1"),
             "address1": addr.get("baseAddress"), "address2": addr.get("detailedAddress"),
             "zip_code": addr.get("zipCode"), "memo": po.get("shippingMemo")},
        customs_code=po.get("individualCustomUniqueCode") or None,
        market_extra={"claim_type": po.get("claimType")} if po.get("claimType") else {},
        dispatch_deadline=po.get("shippingDueDate"),
        placeable=(st == "PAYED" and po.get("placeOrderStatus") == "NOT_YET"))
