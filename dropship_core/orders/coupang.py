"""Coupang WING orders: ordersheets (ACCEPT, day paging with nextToken), acknowledgement,
invoices, stop-shipment checks, cancel.

Wire facts: contracts/orders.md section 2. CEA signing and pacing come from `CoupangClient`.
Ids (shipmentBoxId has 18 digits, orderId, vendorItemId) are kept as text, never floats. One
order line is one orderItem: `<shipmentBoxId>-<vendorItemId>`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dropship_core.markets.coupang import CoupangClient
from dropship_core.orders.model import CollectedLine, KST, MarketOrdersBase, chunks, kst

OPENAPI = "/v2/providers/openapi/apis/api"
ACK_CHUNK, INVOICE_CHUNK, PAGE = 50, 50, 50


class CoupangOrders(MarketOrdersBase):
    market = "coupang"

    def __init__(self, client: CoupangClient, lookback_days: int = 1):
        super().__init__(client)
        self.v = client.vendor_id
        self.lookback = lookback_days

    def _sheets_page(self, day_from: str, day_to: str, status: str, token: str) -> dict:
        params = [("createdAtFrom", day_from), ("createdAtTo", day_to), ("status", status),
                  ("maxPerPage", PAGE), ("nextToken", token)]
        return self.c._call("GET", f"{OPENAPI}/v5/vendors/{self.v}/ordersheets", params=params,
                            route="GET v5 ordersheets")

    def collect(self, cursor: dict | None, sink) -> None:
        today = datetime.now(KST).date()
        start = (cursor or {}).get("date") or str(today - timedelta(days=self.lookback))
        lines: list[CollectedLine] = []
        token = ""
        while True:
            body = self._sheets_page(start, str(today), "ACCEPT", token)
            for sheet in body.get("data") or []:
                lines += sheet_lines(sheet)
            token = str(body.get("nextToken") or "")
            if not token:
                break
        # ACCEPT sheets stay listed until acknowledged: re-reading today's window is cheap and
        # unchanged lines write nothing
        sink(lines, {"date": str(today)})

    def sheet(self, shipment_box_id: str) -> dict:
        body = self.c._call("GET", f"{OPENAPI}/v5/vendors/{self.v}/ordersheets/{shipment_box_id}",
                            route="GET v5 ordersheets/{shipmentBoxId}")
        data = body.get("data")
        return data[0] if isinstance(data, list) else data

    def read(self, lines: list[dict]) -> dict[str, dict]:
        out = {}
        for box in dict.fromkeys(ln["shipment_box_id"] for ln in lines):
            sheet = self.sheet(box)
            st = sheet.get("status")
            for ln in sheet_lines(sheet):
                out[ln.market_line_id] = {
                    "market_status": st, "confirmed": st != "ACCEPT",
                    "dispatched": st in ("DEPARTURE", "DELIVERING", "FINAL_DELIVERY",
                                         "NONE_TRACKING") or bool(sheet.get("invoiceNumber")),
                    "cancelled": ln.quantity <= 0, "cancel_requested": False, "line": ln}
        return out

    def confirm(self, lines: list[dict]) -> dict[str, dict]:
        """Acknowledge (상품준비중) the boxes, ≤50 a call; per-box results fan out to lines."""
        by_box: dict[str, list[str]] = {}
        for ln in lines:
            by_box.setdefault(ln["shipment_box_id"], []).append(ln["market_line_id"])
        res: dict[str, dict] = {}
        for chunk in chunks(list(by_box), ACK_CHUNK):
            body = self.c._call("PUT", f"{OPENAPI}/v4/vendors/{self.v}/ordersheets/acknowledgement",
                                json={"vendorId": self.v, "shipmentBoxIds": [int(b) for b in chunk]},
                                route="PUT v4 ordersheets/acknowledgement")
            for r in (body.get("data") or {}).get("responseList") or []:
                ok = bool(r.get("succeed"))
                for lid in by_box.get(str(r.get("shipmentBoxId")), []):
                    res[lid] = {"ok": ok} if ok else {"ok": False, "retry": r.get("retryRequired"),
                                                      "error": {"code": r.get("resultCode"),
                                                                "message": r.get("resultMessage")}}
        return res

    def dispatch(self, items: list[dict]) -> dict[str, dict]:
        """Upload invoices (INSTRUCT boxes only), one dto per vendorItemId."""
        res: dict[str, dict] = {}
        for chunk in chunks(items, INVOICE_CHUNK):
            dtos = [{"shipmentBoxId": int(it["shipment_box_id"]),
                     "orderId": int(it["market_order_id"]),
                     "vendorItemId": int(it["market_extra"]["vendor_item_id"]),
                     "deliveryCompanyCode": it["carrier_code"],
                     "invoiceNumber": it["tracking_number"], "splitShipping": False,
                     "preSplitShipped": False, "estimatedShippingDate": ""} for it in chunk]
            body = self.c._call("POST", f"{OPENAPI}/v4/vendors/{self.v}/orders/invoices",
                                json={"vendorId": self.v, "orderSheetInvoiceApplyDtos": dtos},
                                route="POST v4 orders/invoices", idempotent=False)
            by_box: dict[str, list[str]] = {}
            for it in chunk:
                by_box.setdefault(str(it["shipment_box_id"]), []).append(it["market_line_id"])
            for r in (body.get("data") or {}).get("responseList") or []:
                for lid in by_box.get(str(r.get("shipmentBoxId")), []):
                    res[lid] = {"ok": True} if r.get("succeed") else {
                        "ok": False, "error": {"code": r.get("resultCode"),
                                               "message": r.get("resultMessage")}}
        return res

    def stop_shipment_requests(self) -> set[str]:
        """Order ids with a stop-shipment (RU) or cancel request in the last day: checked
        before every dispatch."""
        now = datetime.now(KST)
        frm = (now - timedelta(hours=23, minutes=59)).strftime("%Y-%m-%dT%H:%M")
        ids: set[str] = set()
        for extra in (("status", "RU"), ("cancelType", "CANCEL")):
            params = [("searchType", "timeFrame"), ("createdAtFrom", frm),
                      ("createdAtTo", now.strftime("%Y-%m-%dT%H:%M")), extra]
            body = self.c._call("GET", f"{OPENAPI}/v6/vendors/{self.v}/returnRequests",
                                params=params, route="GET v6 returnRequests")
            ids |= {str(r.get("orderId")) for r in body.get("data") or []}
        return ids

    def cancel(self, line: dict, reason: str = "SOLD_OUT") -> dict:
        oid = line["market_order_id"]
        self.c._call("POST", f"{OPENAPI}/v5/vendors/{self.v}/orders/{oid}/cancel",
                     route="POST v5 orders/{orderId}/cancel", idempotent=False,
                     json={"orderId": int(oid),
                           "vendorItemIds": [int(line["market_extra"]["vendor_item_id"])],
                           "receiptCounts": [int(line["quantity"])], "bigCancelCode": "CANERR",
                           "middleCancelCode": "CCPNER" if reason == "SOLD_OUT" else "CCTTER",
                           "vendorId": self.v,
                           "userId": self.c.seller.coupang_vendor_user_id or self.v})
        return {"ok": True}


def sheet_lines(sheet: dict[str, Any]) -> list[CollectedLine]:
    rcv = sheet.get("receiver") or {}
    orderer = sheet.get("orderer") or {}
    customs = (sheet.get("overseaShippingInfoDto") or {}).get("personalCustomsClearanceCode")
    box = str(sheet["shipmentBoxId"])
    out = []
    for it in sheet.get("orderItems") or []:
        qty = int(it.get("shippingCount") or 0) - int(it.get("holdCountForCancel") or 0) \
            - int(it.get("cancelCount") or 0)
        out.append(CollectedLine(
            market="coupang", market_line_id=f"{box}-{it['vendorItemId']}",
            market_order_id=str(sheet["orderId"]), shipment_box_id=box,
            market_status=str(sheet.get("status") or ""),
            product_name=str(it.get("vendorItemName") or ""), quantity=qty,
            unit_price=int(it.get("salesPrice") or 0), total_price=int(it.get("orderPrice") or 0),
            paid_at=kst(sheet.get("paidAt")),
            match_keys={"external_sku": it.get("externalVendorSkuCode") or "",
                        "goods_no": str(it.get("sellerProductId") or "")},
            pii={"buyer_name": orderer.get("name"), "buyer_phone": orderer.get("safeNumber"),
                 "receiver_name": rcv.get("name"), "receiver_phone": rcv.get("safeNumber"),
                 "address1": rcv.get("addr1"), "address2": rcv.get("addr2"),
                 "zip_code": rcv.get("postCode"), "memo": sheet.get("parcelPrintMessage")},
            customs_code=customs or None,
            market_extra={"vendor_item_id": str(it["vendorItemId"])},
            dispatch_deadline=kst(it.get("estimatedShippingDate")),
            placeable=sheet.get("status") == "ACCEPT" and qty > 0))
    return out
