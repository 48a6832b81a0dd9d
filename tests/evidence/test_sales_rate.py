"""The agents' sales rate comes from collected orders: units per day over the last week, per
product and market; cancelled and unmatched lines do not count, and no orders means no rate."""

from __future__ import annotations

import psycopg

from dropship_core.ai.agent_store import AgentStore
from dropship_core.store import Store


def _line(c, market, line_id, product_id, qty, status, days_ago):
    c.execute("INSERT INTO order_lines (market, market_line_id, status, quantity, product_id, content_hash, paid_at)"
              " VALUES (%s, %s, %s, %s, %s, 'h', now() - make_interval(days => %s))",
              (market, line_id, status, qty, product_id, days_ago))


def test_sales_per_day_from_order_lines(db_url):
    Store(db_url).migrate()
    agents = AgentStore(db_url)
    assert agents.sales_per_day("coupang") == {}
    with psycopg.connect(db_url) as c:
        _line(c, "coupang", "a", 1, 3, "shipped", 1)
        _line(c, "coupang", "b", 1, 4, "placed", 6)
        _line(c, "coupang", "c", 1, 9, "cancelled", 2)      # cancelled: not a sale
        _line(c, "coupang", "d", 1, 5, "shipped", 20)       # older than the week
        _line(c, "coupang", "e", None, 2, "unmatched", 1)   # not one of ours
        _line(c, "smartstore", "f", 2, 7, "shipped", 3)
    assert agents.sales_per_day("coupang") == {1: 1.0}
    assert agents.sales_per_day("smartstore") == {2: 1.0}
    assert agents.sales_per_day("gmarket") == {}
