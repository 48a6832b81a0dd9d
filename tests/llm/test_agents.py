"""Agents and conductor: guardrail properties (hypothesis), the pricing policy shared with the
listing, and memory of outcomes. Behaviour on evidence the pipeline produced is tested in
tests/evidence/test_agents_pipeline.py."""

from __future__ import annotations

import asyncio
import time

from hypothesis import given, settings, strategies as st

from dropship_core.ai.agents import Guardrails, allowed_range, money, promotion_plans, to_row
from dropship_core.ai.conductor import Conductor
from dropship_core.ai.conductor_memory import recall_fn, remember_outcomes
from dropship_core.ai.memory import InMemoryVectorMemory
from dropship_core.listing import build_listing
from dropship_core.pricing import DEFAULT_POLICY_DOC, load_policy, policy_from_doc

POLICY = load_policy()


def row(pid, market, price, cost, stock=20, path="주방>텀블러", ship=0, evidence=None, **extra):
    return {"product_id": pid, "supplier_key": "excel-acme", "market": market,
            "listing": {"title": f"상품 {pid}", "price": price, "stock": stock, "category_path": path,
                        "state": extra.pop("state", "active"), "seller_code": f"excel-acme:A{pid}"},
            "raw_data": {"cost": cost, "shipping_fee": ship}, "status": extra.pop("status", "published"),
            "evidence": evidence, **extra}


def test_the_agents_floor_is_the_listings_break_even():
    """One policy: the price the listing builder gives a product is never below the agents' floor,
    and both use pricing.yaml's commission (not a table of the agents' own)."""
    g = Guardrails(policy=POLICY)
    for market in ("smartstore", "coupang", "gmarket"):
        raw = {"name": "스테인리스 텀블러", "cost": 9000, "shipping_fee": 3000, "supplier_key": "s",
               "supplier_item_id": "1"}
        listing, _ = build_listing(market, raw, {}, POLICY.for_market(market))
        r = to_row({"product_id": 1, "market": market, "listing": listing, "raw_data": raw})
        m = money(r, g)
        assert m.commission == POLICY.for_market(market).commission_for(listing.get("category_path"))
        assert m.floor <= listing["price"]
        assert Conductor(g).run([{"product_id": 1, "market": market, "listing": listing,
                                  "raw_data": raw}]).price_recommendations == []


def test_outcome_of_a_raise_that_stopped_sales_holds_a_similar_raise_back():
    vectors = InMemoryVectorMemory()
    past = {"id": 7, "product_id": 1, "payload": {"market": "smartstore", "product_id": 1, "title": "상품 1",
                                                  "old_price": 10000, "new_price": 11000, "sales_per_day": 2.0}}
    asyncio.run(remember_outcomes([past], {1: 0.0}, vectors))
    asyncio.run(remember_outcomes([past], {1: 0.0}, vectors))  # re-run: same memory id, no duplicate
    assert len(vectors._items) == 1
    ev = {"lowest_price": 16000, "seller_count": 4, "band_low": 16000, "band_high": 20000, "median_price": 17000,
          "matched": 4, "observed_at": time.time()}
    res = Conductor(Guardrails(policy=POLICY)).run([row(1, "smartstore", 12720, 10000, evidence=ev)],
                                                   recall=recall_fn(vectors))
    assert res.price_recommendations == [] and len(res.held_back) == 1
    assert "sales stopped" in res.held_back[0]["held_because"]
    # without that outcome the same evidence argues for a raise
    fresh = Conductor(Guardrails(policy=POLICY)).run([row(1, "smartstore", 12720, 10000, evidence=ev)],
                                                     recall=recall_fn(InMemoryVectorMemory()))
    assert fresh.price_recommendations[0]["new_price"] > 12720


def test_promotions_need_a_real_sales_rate_and_respect_the_budget():
    g = Guardrails(policy=POLICY)
    no_rate = [to_row(row(i, "smartstore", 30000, 10000, stock=300)) for i in range(5)]
    assert promotion_plans(no_rate, g, 1_000_000)["plans"] == []
    rows = [to_row(row(i, "smartstore", 30000, 10000, stock=300, sales_per_day=1.0)) for i in range(20)]
    plan = promotion_plans(rows, g, budget_krw=200_000)
    assert plan["planned_krw"] <= 200_000 and 0 < len(plan["plans"]) < 20
    assert all(p["promo_price"] >= p["floor_price"] for p in plan["plans"])


markets = st.sampled_from(["smartstore", "coupang", "gmarket"])


@st.composite
def listing_rows(draw):
    out = []
    for i in range(draw(st.integers(1, 10))):
        cost = draw(st.integers(100, 200_000))
        ev = draw(st.one_of(st.none(), st.builds(
            lambda lo, n, age: {"lowest_price": lo, "seller_count": n, "band_low": lo, "band_high": lo * 2,
                                "median_price": lo, "matched": n, "observed_at": time.time() - age},
            st.integers(100, 400_000), st.integers(1, 8), st.floats(0, 10 * 86400))))
        out.append(row(i, draw(markets), draw(st.integers(100, 400_000)), cost,
                       stock=draw(st.one_of(st.none(), st.integers(0, 500))), ship=draw(st.integers(0, 6000)),
                       evidence=ev, sales_per_day=draw(st.one_of(st.none(), st.floats(0, 50)))))
    return out


policies = st.builds(lambda c, mn, unit: policy_from_doc({
    m: {**d, "commission_rate": c, "min_margin": mn, "target_margin": max(mn, 0.15), "rounding_unit": unit}
    for m, d in DEFAULT_POLICY_DOC.items()}), st.floats(0, 0.2), st.floats(0, 0.15), st.sampled_from([1, 10, 100]))
guardrails = st.builds(lambda p, d, mc: Guardrails(policy=p, max_change_pct_per_day=d, min_change_pct=mc),
                       policies, st.floats(0.5, 30), st.floats(0, 5))


@settings(max_examples=150, deadline=None)
@given(listing_rows(), guardrails, st.one_of(st.none(), st.integers(100, 400_000)))
def test_guardrails_hold_for_every_recommendation(rows, g, day_start):
    starts = {(r["product_id"], r["market"]): day_start for r in rows} if day_start else None
    res = Conductor(g, approval_mode="auto", promotion_budget_krw=10_000_000).run(rows, day_start_prices=starts)
    for rec in res.price_recommendations:
        assert rec["reasons"]
        if rec["new_price"] is None:
            continue
        r = to_row(next(x for x in rows if x["product_id"] == rec["product_id"]))
        m = money(r, g)
        p = rec["new_price"]
        assert p >= m.floor and p % m.unit == 0
        base = day_start or r.price
        assert abs(p - base) <= base * g.max_change_pct_per_day / 100 + 1e-6
        assert abs(p - r.price) >= r.price * g.min_change_pct / 100 - 1e-6
        if rec["evidence_kind"] in ("competitor", "market_room"):
            assert rec["evidence"]["age_hours"] <= g.max_evidence_age_days * 24
    for plan in res.promotion_plans["plans"]:
        r = to_row(next(x for x in rows if x["product_id"] == plan["product_id"]))
        assert plan["promo_price"] >= money(r, g).floor
    assert res.promotion_plans["planned_krw"] <= 10_000_000


@settings(max_examples=200, deadline=None)
@given(st.integers(100, 300_000), st.integers(100, 300_000), st.integers(0, 5000), guardrails)
def test_allowed_range_is_inside_both_limits(cost, base, ship, g):
    r = to_row(row(1, "coupang", base, cost, ship=ship))
    rng = allowed_range(r, base, g)
    floor_p = money(r, g).floor
    if rng is not None:
        lo, hi = rng
        assert floor_p <= lo <= hi and hi <= base * (1 + g.max_change_pct_per_day / 100) + 1e-6
    else:  # the floor is out of a day's reach, or no price on the market's unit lies within a day's change
        d, unit = g.max_change_pct_per_day / 100, money(r, g).unit
        assert floor_p > base * (1 + d) - unit or -(-base * (1 - d) // unit) * unit > base * (1 + d)
