"""Agents and conductor: behaviour on a small catalog, and guardrail properties (hypothesis)."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings, strategies as st

from dropship_core.ai.agents import (Conductor, Guardrails, allowed_range, market_insights,
                                     price_floor, price_recommendations, promotion_plans, remember_decisions,
                                     to_row)
from dropship_core.ai.memory import InMemoryVectorMemory, MemoryBackends, InMemoryConversationStore, WorkflowContext


def row(pid, market, price, cost, stock=20, cat="c1", path="주방>텀블러", ship=0, buyer_ship=0, **extra):
    return {"product_id": pid, "supplier_key": "excel-acme", "market": market,
            "listing": {"title": f"상품 {pid}", "price": price, "stock": stock, "category_id": cat,
                        "category_path": path, "shipping_fee": buyer_ship, "state": extra.pop("state", "active")},
            "raw_data": {"cost": cost, "shipping_fee": ship}, "status": extra.pop("status", "published"), **extra}


CATALOG = [
    row(1, "smartstore", 20000, 9000),
    row(2, "smartstore", 21000, 9000),
    row(3, "smartstore", 30000, 9000),           # 40%+ above peers -> lower
    row(4, "smartstore", 14000, 9000),           # below peers -> raise
    row(5, "smartstore", 10000, 9500),           # below floor, within a day's +10% -> raise to the floor
    row(6, "coupang", 20000, 9000, stock=0),     # stock-out -> pause
    row(7, "coupang", 19000, 9000, stock=3),     # low stock -> raise
    row(8, "coupang", 25000, 8000, stock=200, cat="c2", path="캠핑>의자", sales_7d=5),  # overstock -> promo
    row(9, "gmarket", 22000, 9000, state="soldout"),  # soldout but live -> pause
    row(10, "gmarket", 5000, 9000),              # far below floor -> review, no price
]


def test_conductor_manual_then_auto():
    manual = Conductor(approval_mode="manual", approved={(3, "smartstore")}).run(CATALOG)
    recs = {(r["product_id"], r["market"]): r for r in manual.price_recommendations}
    assert recs[(3, "smartstore")]["status"] == "to_apply" and recs[(3, "smartstore")]["new_price"] < 30000
    assert recs[(4, "smartstore")]["status"] == "pending_approval" and recs[(4, "smartstore")]["new_price"] > 14000
    # floor = 9500 / (1 - 0.055 commission - 0.08 margin) = 10983 -> 10990
    assert recs[(5, "smartstore")]["new_price"] == recs[(5, "smartstore")]["floor_price"] == 10990
    assert "below the floor" in recs[(5, "smartstore")]["reasons"][0]
    assert recs[(10, "gmarket")]["action"] == "review" and recs[(10, "gmarket")]["new_price"] is None
    assert recs[(7, "coupang")]["new_price"] > 19000 and "left" in recs[(7, "coupang")]["reasons"][0]
    assert [r["product_id"] for r in manual.to_apply] == [3]

    alerts = {(a["product_id"], a["market"]): a for a in manual.inventory_alerts}
    assert alerts[(6, "coupang")]["action"] == "pause" and alerts[(9, "gmarket")]["action"] == "pause"
    assert alerts[(7, "coupang")]["action"] == "watch"

    promos = manual.promotion_plans["plans"]
    assert [p["product_id"] for p in promos] == [8] and promos[0]["type"] == "instant_discount"
    assert promos[0]["promo_price"] >= promos[0]["floor_price"]

    kinds = [d["kind"] for d in manual.decisions]
    assert kinds.count("insight") == 3 and "promotion_plan" in kinds and "inventory_alert" in kinds
    assert all(d["workflow_id"] == manual.context.workflow_id for d in manual.decisions)

    auto = Conductor(approval_mode="auto").run(CATALOG, WorkflowContext(run_id="r1"))
    applied = {(r["product_id"], r["market"]) for r in auto.to_apply}
    assert {(3, "smartstore"), (4, "smartstore"), (5, "smartstore"), (7, "coupang")} <= applied
    assert (10, "gmarket") not in applied and auto.context.run_id == "r1"
    assert all(r["status"] == "to_apply" for r in auto.to_apply)


def test_market_insights_positions_mix_and_gaps():
    ins = market_insights([to_row(r) for r in CATALOG])
    s = ins["smartstore"]
    assert s["listings"] == 5 and s["price_position"]["compared"] == 5
    assert s["price_position"]["above_peers"] >= 1 and s["price_position"]["below_peers"] >= 1
    assert s["category_mix"][0] == {"category": "주방>텀블러", "listings": 5, "share": 1.0}
    assert "캠핑>의자" in s["category_gaps"] and ins["coupang"]["category_gaps"] == []
    assert ins["gmarket"]["unlisted_products"] == 8


def test_promotion_budget_is_respected():
    rows = [to_row(row(i, "smartstore", 30000, 10000, stock=300, sales_7d=10)) for i in range(20)]
    plan = promotion_plans(rows, Guardrails(), budget_krw=200_000)
    assert plan["planned_krw"] <= 200_000 and 0 < len(plan["plans"]) < 20
    assert sum(p["budget_krw"] for p in plan["plans"]) == plan["planned_krw"]


def test_day_start_price_bounds_compounding_changes():
    r = row(1, "smartstore", 11000, 9500)
    # already raised from 10000 to 11000 today: no further rise allowed beyond +10% of 10000
    recs = price_recommendations([to_row(r)], Guardrails(), {(1, "smartstore"): 10000})
    assert recs == [] or recs[0]["new_price"] is None or recs[0]["new_price"] <= 11000


def test_decisions_are_remembered():
    res = Conductor(approval_mode="auto").run(CATALOG)
    backends = MemoryBackends(InMemoryConversationStore(), InMemoryVectorMemory())
    n = asyncio.run(remember_decisions(res, backends))
    assert n == len(res.decisions)
    hits = asyncio.run(backends.vectors.search_similar_memories("why above the category median?", 3,
                                                                agent_name="price_recommendations"))
    assert hits and "product 3:" in hits[0].content


markets = st.sampled_from(["smartstore", "coupang", "gmarket"])


@st.composite
def listing_rows(draw):
    n = draw(st.integers(1, 12))
    out = []
    for i in range(n):
        cost = draw(st.integers(100, 200_000))
        price = draw(st.integers(100, 400_000))
        out.append(row(i, draw(markets), price, cost, stock=draw(st.one_of(st.none(), st.integers(0, 500))),
                       cat=draw(st.sampled_from(["a", "b"])), ship=draw(st.integers(0, 6000)),
                       buyer_ship=draw(st.sampled_from([0, 3000])),
                       competitor_price=draw(st.one_of(st.none(), st.integers(100, 400_000))),
                       sales_7d=draw(st.one_of(st.none(), st.floats(0, 100)))))
    return out


guardrails = st.builds(Guardrails, min_margin_rate=st.floats(0, 0.3), min_margin_krw=st.integers(0, 5000),
                       max_change_pct_per_day=st.floats(0.5, 30), price_unit=st.sampled_from([1, 10, 100]))


@settings(max_examples=150, deadline=None)
@given(listing_rows(), guardrails, st.one_of(st.none(), st.integers(100, 400_000)))
def test_guardrails_hold_for_every_recommendation(rows, g, day_start):
    starts = {(r["product_id"], r["market"]): day_start for r in rows} if day_start else None
    res = Conductor(g, approval_mode="auto", promotion_budget_krw=10_000_000).run(rows, day_start_prices=starts)
    for rec in res.price_recommendations:
        if rec["new_price"] is None:
            continue
        r = to_row(next(x for x in rows if x["product_id"] == rec["product_id"]))
        p = rec["new_price"]
        c = g.commission(r.market)
        # never below cost + shipping + commission + minimum margin
        assert p * (1 - c) - r.cost - r.shipping_cost >= max(g.min_margin_krw, g.min_margin_rate * p) - 1e-6
        assert p >= price_floor(r.cost, r.shipping_cost, c, g)
        # never more than the daily maximum away from the day's starting price
        base = day_start or r.price
        assert abs(p - base) <= base * g.max_change_pct_per_day / 100 + 1e-6
    for plan in res.promotion_plans["plans"]:
        r = to_row(next(x for x in rows if x["product_id"] == plan["product_id"]))
        assert plan["promo_price"] >= price_floor(r.cost, r.shipping_cost, g.commission(r.market), g)
    assert res.promotion_plans["planned_krw"] <= 10_000_000


@settings(max_examples=200, deadline=None)
@given(st.integers(100, 300_000), st.integers(100, 300_000), st.integers(0, 5000), guardrails)
def test_allowed_range_is_inside_both_limits(cost, base, ship, g):
    r = to_row(row(1, "coupang", base, cost, ship=ship))
    rng = allowed_range(r, base, g)
    floor_p = price_floor(cost, r.shipping_cost, g.commission("coupang"), g)
    if rng is None:
        assert floor_p > base * (1 + g.max_change_pct_per_day / 100) - 1
    else:
        lo, hi = rng
        assert floor_p <= lo <= hi and hi <= base * (1 + g.max_change_pct_per_day / 100) + 1e-6
