"""Connector for `kind: webhook` accounts: the supplier pushes events, we read them from the inbox.

Each `item.changed` / `item.stock_changed` event must carry the product snapshot in
`data.product` (the canonical fields: name, cost, stock, variants, ...); `item.deleted` needs only
`item_id`. The cursor (`inbox_cursor`) follows commit order, so an event whose transaction commits
after a later one is still read; a run that fails is simply read again.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import psycopg

from dropship_core.model import CanonicalProduct, Variant
from dropship_core.suppliers.excel import BadValue
from dropship_core.suppliers.inbox_cursor import read_inbox
from dropship_core.suppliers.validate import coerce_snapshot, product_problems
from dropship_core.suppliers.base import FetchResult, Reject, SupplierError

_PRODUCT_FIELDS = {f.name for f in fields(CanonicalProduct)} - {"supplier_key", "supplier_item_id", "raw"}


def product_from_event(supplier_key: str, event: dict[str, Any], source: str) -> CanonicalProduct | Reject:
    item_id = str(event.get("item_id", "")).strip()
    snap = (event.get("data") or {}).get("product")
    if not isinstance(snap, dict):
        return Reject(f"{event.get('type')} for {item_id}: no product snapshot in data.product", event, source)
    try:
        snap = coerce_snapshot(snap)
        kw = {k: v for k, v in snap.items() if k in _PRODUCT_FIELDS}
        kw["variants"] = [Variant(**v) for v in snap.get("variants") or []]
        p = CanonicalProduct(supplier_key=supplier_key, supplier_item_id=item_id, raw=event, **kw)
    except BadValue as e:
        return Reject(f"item {item_id}: {e}", event, source)
    except TypeError as e:
        return Reject(f"item {item_id}: product snapshot does not fit the canonical shape ({e})", event, source)
    problems = product_problems(p)
    if problems:
        return Reject(f"item {item_id}: " + "; ".join(problems), event, source)
    return p


class WebhookInboxConnector:
    def __init__(self, supplier_key: str, database_url: str, *, schema: str | None = None,
                 batch_size: int = 10_000) -> None:
        self.supplier_key = supplier_key
        self.database_url = database_url
        self.schema = schema
        self.batch_size = batch_size

    def _connect(self) -> psycopg.Connection:
        kw: dict[str, Any] = {"autocommit": True}
        if self.schema:
            kw["options"] = f"-c search_path={self.schema}"
        try:
            return psycopg.connect(self.database_url, **kw)
        except psycopg.OperationalError as e:
            raise SupplierError(f"{self.supplier_key}: webhook inbox database unreachable "
                                f"({type(e).__name__})") from None

    def fetch(self, mode: str, cursor: str | None) -> FetchResult:
        with self._connect() as conn:
            rows, next_cursor = read_inbox(conn, cursor, self.batch_size,
                                           "id, event_type, supplier_item_id, payload", self.supplier_key)
        rows.sort(key=lambda r: r[0])  # within a batch the latest event (highest id) for an item wins
        products: dict[str, CanonicalProduct] = {}
        deleted: dict[str, None] = {}
        rejects: list[Reject] = []
        for inbox_id, etype, item_id, payload in rows:
            source = f"webhook_inbox id={inbox_id}"
            if etype == "item.deleted":
                products.pop(item_id, None)
                deleted[item_id] = None
                continue
            r = product_from_event(self.supplier_key, payload, source)
            if isinstance(r, Reject):
                rejects.append(r)
            else:
                deleted.pop(item_id, None)
                products[item_id] = r  # the latest event for an item wins
        return FetchResult(products=list(products.values()), rejects=rejects, deleted_ids=list(deleted),
                           next_cursor=next_cursor, complete=False,
                           stats={"mode": "inbox", "events": len(rows), "more": len(rows) == self.batch_size})

    def ping(self) -> str:
        with self._connect() as conn:
            n = conn.execute("SELECT count(*) FROM webhook_inbox WHERE supplier_key = %s",
                             (self.supplier_key,)).fetchone()[0]
        return f"webhook inbox reachable; {n} events received for {self.supplier_key}"
