"""Order models: revenue, fees, earned margin, fulfilment lag, cancellation rate; the report."""

from __future__ import annotations

import psycopg

from dbt_like_sql.report import write_report
from dropship_sandbox.order_seed import seed_orders


def test_order_marts_and_report(stack, orders, products, run, db_url, tmp_path):
    seed_orders(stack.orders["coupang"], "coupang", products, 5, unmatched=1)
    orders.collect("coupang", run)
    orders.place(run)
    orders.confirm("coupang", run)
    stack.orders["ownerclan"].ship(None)
    orders.tracking(run)
    orders.ship("coupang", run)
    line = orders.store.lines(status="shipped")[0]
    with psycopg.connect(db_url) as conn:
        numbers = write_report(conn, tmp_path / "r.html", mode="live")
        assert numbers is not None
        lines = orders.store.lines(status="shipped")
        revenue = sum(r["total_price"] for r in lines)
        cost = sum(r["supplier_amount"] for r in lines)
        fees = sum(round(r["total_price"] * float(r["commission_rate"] or 0.108)) for r in lines)
    html = (tmp_path / "r.html").read_text()
    assert "Orders by market" in html and "Earned margin by product" in html
    assert f"{revenue - fees - cost:,}" in html or str(revenue - fees - cost) in html
    assert line["product_name"][:5] in html
    # no buyer data reaches the page
    from dropship_sandbox.order_seed import fake_buyer

    assert fake_buyer(0)["name"] not in html and fake_buyer(0)["phone"] not in html
