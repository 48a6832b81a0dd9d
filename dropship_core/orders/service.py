"""One entry point per step, shared by the CLI, the Dagster assets and the demo.

    collect -> place (OwnerClan API, or purchase-order sheets) -> confirm -> tracking -> ship
    (+ cancel, + redaction of buyer data after the claim window)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from dropship_core.markets.names import COUPANG, GMARKET, SMARTSTORE
from dropship_core.orders import collect as _collect
from dropship_core.orders import fulfil
from dropship_core.orders.ownerclan import OwnerClanOrders, SupplierRejected
from dropship_core.orders.place import API_KINDS, place_api_lines, supplier_kind
from dropship_core.orders.store import OrderStore
from dropship_core.store.store import RunInfo

MARKETS = (SMARTSTORE, COUPANG, GMARKET)


def ownerclan_orders(supplier_key: str) -> OwnerClanOrders:
    from dropship_core.suppliers.factory_remote import connector_for
    from dropship_core.suppliers.registry import SupplierAccount, load_accounts

    account = None
    try:
        account = next((a for a in load_accounts() if a.key == supplier_key), None)
    except Exception:  # noqa: BLE001 - no suppliers.yaml: credentials from the environment
        account = None
    account = account or SupplierAccount(key=supplier_key, kind="ownerclan")
    conn = connector_for(account, dict(os.environ))
    interval = os.environ.get("DROPSHIP_OWNERCLAN_ORDER_INTERVAL_S")
    if interval is not None:
        conn.pacer.min_interval_s = float(interval)
    timeout = os.environ.get("DROPSHIP_OWNERCLAN_ORDER_TIMEOUT_S")
    if timeout:
        import httpx

        conn.client.timeout = httpx.Timeout(float(timeout))
    return OwnerClanOrders(conn)


@dataclass
class Orders:
    """The order workflow over one store, with market and supplier clients made on demand."""

    store: OrderStore
    market_clients: dict[str, Any] = field(default_factory=dict)
    supplier_clients: dict[str, OwnerClanOrders] = field(default_factory=dict)
    settle_s: float = 60.0

    def market(self, name: str):
        from dropship_core.markets.factory import market_name

        name = market_name(name)
        if name not in self.market_clients:
            self.market_clients[name] = _collect.market_orders(name)
        return self.market_clients[name]

    def supplier(self, key: str) -> OwnerClanOrders:
        if key not in self.supplier_clients:
            self.supplier_clients[key] = ownerclan_orders(key)
        return self.supplier_clients[key]

    def collect(self, market: str, run: RunInfo) -> dict[str, Any]:
        mo = self.market(market)
        counts = _collect.collect_market(self.store, mo, run)
        counts["rematched"] = _collect.rematch_unmatched(self.store, mo.market, run)
        return counts

    def place(self, run: RunInfo, ids: list[int] | None = None,
              accept_held: bool = False) -> dict[str, Any]:
        from dropship_core.orders.purchase_orders import write_purchase_orders

        out = place_api_lines(self.store, self.supplier, run, ids=ids, settle_s=self.settle_s,
                              accept_held=accept_held)
        out["purchase_orders"] = write_purchase_orders(self.store, run, ids=ids)
        return out

    def confirm(self, market: str, run: RunInfo) -> dict[str, int]:
        return fulfil.confirm_lines(self.store, self.market(market), run)

    def tracking(self, run: RunInfo) -> int:
        return fulfil.poll_tracking(self.store, self.supplier, run,
                                    lambda k: supplier_kind(k) in API_KINDS)

    def ship(self, market: str, run: RunInfo) -> dict[str, int]:
        return fulfil.ship_lines(self.store, self.market(market), run)

    def cancel(self, market: str, run: RunInfo) -> dict[str, int]:
        def supplier_cancel(line: dict) -> None:
            if supplier_kind(line["supplier_key"]) not in API_KINDS:
                return      # a purchase-order supplier is told by a person
            oc = self.supplier(line["supplier_key"])
            try:
                oc.cancel(line["supplier_order_ref"])
            except SupplierRejected:    # already preparing: ask for the cancellation instead
                oc.cancel(line["supplier_order_ref"], preparing=True)

        return fulfil.cancel_lines(self.store, self.market(market), run, supplier_cancel)

    def fulfil_market(self, market: str, run: RunInfo) -> dict[str, Any]:
        """Everything after collection for one market (the `orders` asset's second half)."""
        return {"confirm": self.confirm(market, run), "ship": self.ship(market, run),
                "cancel": self.cancel(market, run)}

    def cycle(self, markets: list[str], run: RunInfo) -> dict[str, Any]:
        out: dict[str, Any] = {"collect": {m: self.collect(m, run) for m in markets}}
        out["place"] = self.place(run)
        out["confirm"] = {m: self.confirm(m, run) for m in markets}
        out["tracking"] = self.tracking(run)
        out["ship"] = {m: self.ship(m, run) for m in markets}
        out["cancel"] = {m: self.cancel(m, run) for m in markets}
        out["redacted"] = self.store.redact_due(run)
        return out

    def close(self) -> None:
        for mo in self.market_clients.values():
            mo.c.close()
        for oc in self.supplier_clients.values():
            oc.conn.close()


def market_cycle(o: Orders, market: str, run: RunInfo) -> dict[str, Any]:
    """Everything for one market in order (the `orders` asset, one partition)."""
    from dropship_core.markets.factory import market_name

    market = market_name(market)
    out: dict[str, Any] = {"collect": o.collect(market, run)}
    ids = [r["id"] for r in o.store.lines(market=market, status=["new", "placing"])]
    out["place"] = o.place(run, ids=ids) if ids else {}
    out["confirm"] = o.confirm(market, run)
    out["tracking"] = o.tracking(run)
    out["ship"] = o.ship(market, run)
    out["cancel"] = o.cancel(market, run)
    out["status"] = o.store.status_counts(market)
    return out
