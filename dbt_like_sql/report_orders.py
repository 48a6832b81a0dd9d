"""The orders section of the analytics page: per market lines, revenue, fees, the margin
actually earned, fulfilment lag and cancellation rate; the top products by earned margin."""

from __future__ import annotations

from typing import Any

import psycopg

ORDER_MODELS = ("mart_orders_by_market", "mart_order_margin_by_supplier_product")


def collect_orders(conn: psycopg.Connection, s: str) -> dict[str, Any]:
    by_market = conn.execute(f"""
        SELECT market, order_lines, placed, shipped, cancelled, unmatched, revenue, fees,
               supplier_cost, earned_margin, earned_margin_rate, avg_fulfilment_lag_hours,
               cancellation_rate
        FROM {s}mart_orders_by_market ORDER BY market""".encode()).fetchall()
    top = conn.execute(f"""
        SELECT supplier_key, product_name, units, revenue, earned_margin, earned_margin_rate
        FROM {s}mart_order_margin_by_supplier_product
        ORDER BY earned_margin DESC NULLS LAST, product_name LIMIT 10""".encode()).fetchall()
    return {"by_market": by_market, "top": top}


def render_orders(data: dict[str, Any], table, esc) -> str:
    """`table(columns, rows)` and `esc` are the page's own helpers."""
    rows = data.get("by_market") or []

    def pct(v: Any) -> str:
        return "" if v is None else f"{float(v) * 100:.1f}%"

    market_table = table(
        ["market", "lines", "placed", "shipped", "cancelled", "unmatched", "revenue ₩", "fees ₩",
         "supplier cost ₩", "earned margin ₩", "margin rate", "avg lag h", "cancel rate"],
        [list(r[:10]) + [pct(r[10]), r[11] if r[11] is not None else "", pct(r[12])]
         for r in rows])
    top_table = table(["supplier", "product", "units", "revenue ₩", "earned margin ₩", "rate"],
                      [list(r[:5]) + [pct(r[5])] for r in data.get("top") or []])
    return (f'<section class="wide" id="orders"><h2>Orders by market</h2>{market_table}</section>'
            f'<section class="wide" id="orders-top"><h2>Earned margin by product (top 10)</h2>'
            f'{top_table}</section>')
