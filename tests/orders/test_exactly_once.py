"""Exactly once under faults: a timeout after the supplier or the market applied a call, 429 and
503 refusals, and a 500 after processing. Counted on the sandboxes' own records: creates per note
(OwnerClan), applied dispatches / invoices / shipping infos per line (markets)."""

from __future__ import annotations

import pytest

from dropship_core.orders.collect import market_orders
from dropship_sandbox.order_seed import seed_orders

from .conftest import arm, calls


def _once(counts: dict, n: int) -> None:
    assert len(counts) == n and set(counts.values()) == {1}, counts


@pytest.mark.parametrize("kind", ["timeout_after", "500_after", "429", "503"])
def test_supplier_create_exactly_once(stack, orders, products, run, kind):
    seed_orders(stack.orders["coupang"], "coupang", products, 4)
    orders.collect("coupang", run)
    arm(stack, "ownerclan", [{"kind": kind, "route": "createOrder", "count": 2}], delay=1.5)
    first = orders.place(run)
    ambiguous = kind in ("timeout_after", "500_after")
    assert first.get("pending", 0) == (2 if ambiguous else 0), first
    if ambiguous:
        assert orders.store.status_counts("coupang")["placing"] == 2
        import time
        time.sleep(1.6)              # the held answers land; then a second run
        second = orders.place(run)
        assert second.get("recovered") == 2, second
    assert calls(stack, "ownerclan")["fired"] == {kind: 2}
    oc = stack.orders["ownerclan"].dump()
    _once(oc["creates_by_note"], 4)
    assert orders.store.status_counts("coupang") == {"placed": 4}


def _ready(stack, orders, market, products, run, n=6):
    seed_orders(stack.orders[{"gmarket": "esm"}.get(market, market)], market,
                [p for p in products if market != "gmarket" or not p["variants"]], n)
    orders.collect(market, run)
    orders.place(run)
    orders.confirm(market, run)
    stack.orders["ownerclan"].ship(None)
    orders.tracking(run)


@pytest.mark.parametrize("market,route,applied", [
    ("smartstore", "POST dispatch", "dispatch"),
    ("coupang", "POST invoices", "invoice"),
    ("gmarket", "POST ShippingInfo", "ship"),
])
@pytest.mark.parametrize("kind", ["timeout_after", "500_after", "429", "503"])
def test_market_dispatch_exactly_once(stack, orders, products, run, market, route, applied, kind):
    orders.market_clients[market] = market_orders(market, timeout=1.0)
    _ready(stack, orders, market, products, run, n=4)
    name = {"gmarket": "esm"}.get(market, market)
    arm(stack, name, [{"kind": kind, "route": route, "count": 1}], delay=1.5)
    first = orders.ship(market, run)
    if kind in ("timeout_after", "500_after"):
        import time
        time.sleep(1.6)
        second = orders.ship(market, run)
        assert first["shipped"] + second["shipped"] + second["reconciled"] == 4, (first, second)
    else:
        assert first["shipped"] == 4, first
    assert calls(stack, name)["fired"] == {kind: 1}
    st = stack.orders[name].dump()
    got = st["applied"][applied]
    if market == "coupang":
        assert len(got) == 4 and set(got.values()) == {1}
    else:
        _once(got, 4)
    assert orders.store.status_counts(market) == {"shipped": 4}


def test_collect_survives_5xx_and_429(stack, orders, products, run):
    seed_orders(stack.orders["smartstore"], "smartstore", products, 5)
    arm(stack, "smartstore", [{"kind": "503", "route": "last-changed", "count": 1},
                              {"kind": "429", "route": "POST query", "count": 1},
                              {"kind": "500_after", "route": "POST query", "count": 1}])
    assert orders.collect("smartstore", run)["new"] == 5
