"""Collect new paid orders from one market into the order store, matched to our listings.

The market clients are built from the same environment the listing side uses
(SMARTSTORE_*, COUPANG_*, ESM_*; `<MARKET>_RATE_PER_S` for pacing, ESM_ORDER_QUERY_INTERVAL_S
for the 5-second order-query rule).
"""

from __future__ import annotations

import os
from typing import Any

from dropship_core.markets.factory import client_from_env, market_name
from dropship_core.markets.names import COUPANG, GMARKET, SMARTSTORE
from dropship_core.orders.matching import ListingIndex, match_lines
from dropship_core.orders.store import OrderStore
from dropship_core.store.store import RunInfo


def _rate(market: str) -> dict[str, Any]:
    var = {SMARTSTORE: "SMARTSTORE_RATE_PER_S", COUPANG: "COUPANG_RATE_PER_S",
           GMARKET: "ESM_RATE_PER_S"}[market]
    v = os.environ.get(var)
    return {"rate": float(v), "burst": float(v)} if v else {}


def market_orders(market: str, **kw):
    """The order client of `market` (aliases accepted), from the environment."""
    from dropship_core.orders.coupang import CoupangOrders
    from dropship_core.orders.esm import QUERY_INTERVAL_S, EsmOrders
    from dropship_core.orders.smartstore import SmartStoreOrders

    m = market_name(market)
    client = client_from_env(m, **{**_rate(m), **kw})
    if m == SMARTSTORE:
        return SmartStoreOrders(client)
    if m == COUPANG:
        return CoupangOrders(client)
    interval = float(os.environ.get("ESM_ORDER_QUERY_INTERVAL_S") or QUERY_INTERVAL_S)
    return EsmOrders(client, query_interval_s=interval)


def _commission(market: str) -> float | None:
    try:
        from dropship_core.pricing import load_policy

        return load_policy().for_market(market).commission_for(None)
    except Exception:  # noqa: BLE001 - no pricing file: the analytics fall back to defaults
        return None


def collect_market(store: OrderStore, mo, run: RunInfo) -> dict[str, Any]:
    """One collection pass: new lines in, changed lines updated; the checkpoint is saved only
    after the lines it covers are stored (per page for SmartStore)."""
    market = mo.market
    index = ListingIndex(market, store.listing_rows(market))
    rate = _commission(market)
    counts: dict[str, Any] = {"collected": 0, "new": 0, "updated": 0, "unchanged": 0,
                              "unmatched": 0, "skipped": 0}

    def sink(lines, cursor) -> None:
        matches = match_lines(index, lines)
        for m in matches.values():
            if not m.get("unmatched_reason"):
                m["commission_rate"] = rate
        for k, v in store.record_collected(lines, matches, run).items():
            counts[k] += v
        store.save_checkpoint(market, cursor)

    mo.collect(store.checkpoint(market), sink)
    counts["market"] = market
    return counts


def rematch_unmatched(store: OrderStore, market: str, run: RunInfo) -> int:
    """Lines kept as unmatched get another try once listings exist (e.g. after a publish)."""
    from dropship_core.orders.model import CollectedLine

    rows = store.lines(market=market, status="unmatched")
    if not rows:
        return 0
    index = ListingIndex(market, store.listing_rows(market))
    n = 0
    for r in rows:
        probe = CollectedLine(market=market, market_line_id=r["market_line_id"],
                              market_order_id=r["market_order_id"] or "", market_status="",
                              product_name="", quantity=r["quantity"], unit_price=0,
                              total_price=0, paid_at=None, match_keys=r["match_keys"])
        m = index.match(probe)
        if m.get("unmatched_reason"):
            continue
        m["commission_rate"] = _commission(market)
        m["unmatched_reason"] = None
        if store.transition(r["id"], "new", run, "matched", expect=["unmatched"],
                            payload={"product_id": m["product_id"]}, **m):
            n += 1
    return n
