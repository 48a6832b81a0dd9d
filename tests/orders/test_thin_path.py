"""One market end to end: collect, match, place with OwnerClan, confirm, tracking, dispatch."""

from __future__ import annotations

from dropship_sandbox.order_seed import seed_orders

from .conftest import SUPPLIER


def test_coupang_collect_place_confirm_ship(stack, orders, products, run):
    seed_orders(stack.orders["coupang"], "coupang", products, 6, unmatched=1)
    first = orders.collect("coupang", run)
    assert (first["collected"], first["new"], first["unmatched"]) == (7, 7, 1)
    again = orders.collect("coupang", run)
    assert again["new"] == 0 and again["updated"] == 0

    placed = orders.place(run)
    assert placed.get("placed") == 6
    oc = stack.orders["ownerclan"].dump()
    assert oc["orders"] == 6 and not oc["duplicate_notes"]

    assert orders.confirm("coupang", run)["confirmed"] == 6
    stack.orders["ownerclan"].ship(None)
    assert orders.tracking(run) == 6
    shipped = orders.ship("coupang", run)
    assert shipped["shipped"] == 6, shipped
    cp = stack.orders["coupang"].dump()
    assert cp["by_status"] == {"DEPARTURE": 6, "ACCEPT": 1}
    assert all(v == 1 for v in cp["applied"]["invoice"].values())

    st = orders.store.status_counts("coupang")
    assert st == {"shipped": 6, "unmatched": 1}
    line = orders.store.lines(market="coupang", status="shipped")[0]
    assert line["supplier_key"] == SUPPLIER and line["supplier_order_ref"]
    assert isinstance(line["market_line_id"], str) and len(line["shipment_box_id"]) == 18
    # Coupang's local times (no offset) are read as KST, not UTC
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    assert now - timedelta(minutes=10) < line["paid_at"] <= now + timedelta(seconds=5)
    assert line["shipped_at"] >= line["paid_at"]
    ev = [e["event_type"] for e in orders.store.events(line["id"])]
    assert ev[0] == "collected" and "placed" in ev and ev[-1] == "shipped"
    assert all(e["run_id"] == "test-run" and e["partition_key"] == "coupang"
               for e in orders.store.events(line["id"]))
    un = orders.store.lines(status="unmatched")[0]
    assert "no listing in coupang" in un["unmatched_reason"]
