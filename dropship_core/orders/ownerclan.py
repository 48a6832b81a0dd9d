"""OwnerClan order calls over the catalog connector's auth and transport.

Wire facts: contracts/orders.md section 4 (CODE-level: a live schema snapshot and public clients).
- `simulateCreateOrder` is a mutation without side effects: retried freely;
- `createOrder` returns a LIST and is sent ONCE per attempt, never retried by the transport:
  the caller looks the order up by `note` (`allOrders(note:)`) before any new attempt;
- tracking is per product line (`products[].trackingNumber / shippingCompanyCode`).
"""

from __future__ import annotations

import os
from typing import Any

from dropship_core.suppliers.base import SupplierError
from dropship_core.http import Retryable
from dropship_core.suppliers.ownerclan import OwnerClanConnector, _AuthExpired

ORDER_FIELDS = """key id status note sellerNote createdAt updatedAt
  products { key itemKey quantity price productName trackingNumber shippingCompanyCode
             shippingCompanyName shippedDate }"""
SIMULATE = """mutation SimulateCreateOrder($input: OrderInput!) {
  simulateCreateOrder(input: $input) { itemAmounts { amount itemKey } shippingAmount
                                       extraShippingFeeExists } }"""
CREATE = "mutation CreateOrder($input: OrderInput!) { createOrder(input: $input) { %s } }" % ORDER_FIELDS
BY_NOTE = "query OrdersByNote($note: String) { allOrders(first: 10, note: $note) { edges { node { %s } } } }" % ORDER_FIELDS
SHIPPED = """query Shipped($after: String, $since: Float) {
  allOrders(first: 1000, after: $after, shippedAfter: $since) {
    pageInfo { hasNextPage endCursor } edges { node { %s } } } }""" % ORDER_FIELDS
ORDER = "query Order($key: String!) { order(key: $key) { %s } }" % ORDER_FIELDS
CANCEL = "mutation Cancel($key: ID!) { cancelOrder(key: $key) { key status } }"
REQUEST_CANCEL = """mutation RequestCancel($key: ID!, $input: RequestOrderCancellationInput!) {
  requestOrderCancellation(key: $key, input: $input) { key status } }"""


class SupplierRejected(Exception):
    """The supplier refused the order (out of stock, bad option): nothing was created."""

    def __init__(self, message: str, sold_out: bool = False):
        super().__init__(message)
        self.sold_out = sold_out


class CreateUnknown(Exception):
    """createOrder may or may not have happened (timeout, 5xx, broken response)."""


class NotApplied(Exception):
    """createOrder was refused before processing (429 / rate limit): safe to try again."""


def sender_from_env() -> dict[str, str]:
    return {"name": os.environ.get("DROPSHIP_SENDER_NAME", "드롭십스토어"),
            "phoneNumber": os.environ.get("DROPSHIP_SENDER_PHONE", "010-0000-0000"),
            "email": os.environ.get("DROPSHIP_SENDER_EMAIL", "orders@example.com")}


def order_input(line: dict, buyer: dict, sender: dict) -> dict[str, Any]:
    attrs = line.get("option_attrs") or {}
    return {
        "sender": sender,
        "recipient": {"name": buyer.get("receiver_name") or "",
                      "phoneNumber": buyer.get("receiver_phone") or "",
                      "destinationAddress": {"addr1": buyer.get("address1") or "",
                                             "addr2": buyer.get("address2") or "",
                                             "postalCode": buyer.get("zip_code") or ""}},
        "products": [{"quantity": int(line["quantity"]), "itemKey": line["supplier_item_id"],
                      "optionAttributes": [{"name": k, "value": v} for k, v in attrs.items()]}],
        "note": note_of(line),
        "sellerNote": f"mkt={line['market']};po={line['market_line_id']}",
        "ordererNote": buyer.get("memo") or "",
    }


def note_of(line: dict) -> str:
    return f"{line['market']}-{line['market_line_id']}"


class OwnerClanOrders:
    def __init__(self, connector: OwnerClanConnector, sender: dict | None = None):
        self.conn = connector
        self.sender = sender or sender_from_env()
        self.calls = {"simulate": 0, "create": 0, "lookup": 0, "shipped": 0, "cancel": 0}

    def _gql(self, query: str, variables: dict) -> dict:
        try:
            return self.conn.graphql(query, variables)
        except SupplierError as exc:
            msg = str(exc)
            raise SupplierRejected(msg, sold_out="OUT_OF_STOCK" in msg or "품절" in msg) from None

    def simulate(self, inp: dict) -> dict:
        self.calls["simulate"] += 1
        res = self._gql(SIMULATE, {"input": inp})["simulateCreateOrder"]
        return res[0] if isinstance(res, list) else res

    def create(self, inp: dict) -> dict:
        """One attempt. Raises CreateUnknown, NotApplied or SupplierRejected."""
        self.calls["create"] += 1
        for _ in range(2):
            try:
                data = self.conn._once(CREATE, {"input": inp})
                break
            except _AuthExpired:
                self.conn._token = None   # the request was refused unauthenticated: re-auth once
                continue
            except Retryable as exc:
                text = str(exc)
                if "rate limited" in text or "HTTP 429" in text or "HTTP 503" in text:
                    raise NotApplied(text) from None
                raise CreateUnknown(text) from None
            except SupplierError as exc:
                msg = str(exc)
                raise SupplierRejected(msg, sold_out="OUT_OF_STOCK" in msg or "품절" in msg) from None
        else:
            raise NotApplied("authentication refused twice")
        orders = data.get("createOrder") or []
        if not orders:
            raise CreateUnknown("createOrder answered without an order")
        return orders[0]

    def find_by_note(self, note: str) -> list[dict]:
        self.calls["lookup"] += 1
        data = self._gql(BY_NOTE, {"note": note})
        return [e["node"] for e in (data.get("allOrders") or {}).get("edges") or []
                if e["node"].get("note") == note]

    def order(self, key: str) -> dict | None:
        return self._gql(ORDER, {"key": key}).get("order")

    def shipped_since(self, since_ms: float) -> list[dict]:
        out, after = [], None
        while True:
            self.calls["shipped"] += 1
            conn = self._gql(SHIPPED, {"after": after, "since": since_ms})["allOrders"]
            out += [e["node"] for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                return out
            after = conn["pageInfo"]["endCursor"]

    def cancel(self, key: str, preparing: bool = False) -> dict:
        """cancelOrder while paid; requestOrderCancellation once preparing (UNVERIFIED input)."""
        self.calls["cancel"] += 1
        if preparing:
            return self._gql(REQUEST_CANCEL, {"key": key, "input": {"cancelReason": "고객 취소"}})
        return self._gql(CANCEL, {"key": key})
