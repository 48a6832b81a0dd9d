"""The business agents (pure functions, no Dagster, no network).

Inputs per product × market (`Row`): our listing (price, stock, cost), the market evidence the
`market_prices` asset found (`MarketEvidence`: lowest comparable price, sellers, band, age) and
real sales signals when there are any (units per day from orders, or the supplier's stock
movements). Nothing is invented: a missing signal is None and no rule fires on it.

- `market_insights`: per market, where our prices sit against comparable market prices, margin
  after fees, category mix and gaps.
- `recommend_price`: a change only with evidence (a comparable competitor, a sales rate, a
  stock-out risk), at least `min_change_pct`, inside the guardrails: never below the pricing
  policy's break-even price (pricing.yaml: commission, minimum margin, rounding) and never more
  than the daily maximum change away from the day's starting price.
- `inventory_alerts`: live listings of products that are gone, and stock-out risk from a real rate.
- `promotion_plans`: discounts for overstock within a budget, none below the break-even price.

The conductor that runs them is `dropship_core.ai.conductor`.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from dropship_core.pricing import PolicyError, PricingPolicy, load_policy, quote, round_up


@dataclass
class Guardrails:
    """Limits every decision respects. Money rules come from the pricing policy (pricing.yaml)."""

    policy: PricingPolicy = field(default_factory=load_policy)
    max_change_pct_per_day: float = 10.0
    min_change_pct: float = 3.0  # smaller moves are not worth a person's attention
    max_evidence_age_days: float = 3.0
    min_sellers_to_raise: int = 3  # raise toward the market only when several sellers price above us
    raise_gap_pct: float = 25.0  # ... and the cheapest of them this much above us (a raise risks sales)
    overstock: int = 50
    stock_cover_days: float = 7.0

    def fingerprint(self) -> str:
        return (f"{self.policy.fingerprint()}:{self.max_change_pct_per_day}:{self.min_change_pct}:"
                f"{self.max_evidence_age_days}:{self.min_sellers_to_raise}:{self.raise_gap_pct}:"
                f"{self.overstock}:{self.stock_cover_days}")


@dataclass
class MarketEvidence:
    lowest_price: int | None
    seller_count: int
    band_low: int | None
    band_high: int | None
    median_price: int | None
    matched: int
    observed_at: float
    source: str = "naver_shopping"
    query: str = ""

    def age_days(self, now: float | None = None) -> float:
        return max(0.0, ((now or time.time()) - self.observed_at) / 86400)

    def describe(self, now: float | None = None) -> dict[str, Any]:
        return {"source": self.source, "query": self.query, "lowest_price": self.lowest_price,
                "seller_count": self.seller_count, "band": [self.band_low, self.band_high],
                "median_price": self.median_price, "matched": self.matched,
                "observed_at": round(self.observed_at), "age_hours": round(self.age_days(now) * 24, 1)}


@dataclass
class Row:
    product_id: Any
    supplier_key: str
    market: str
    price: int
    stock: int | None
    cost: int
    shipping_fee: int
    category_path: str | None
    title: str
    state: str
    status: str | None = None
    seller_code: str = ""
    evidence: MarketEvidence | None = None
    sales_per_day: float | None = None  # our orders on this market, when collected
    supplier_velocity: float | None = None  # units/day the supplier's stock falls (all its sellers)
    price_override: int | None = None  # an approved price the listing has not picked up yet

    @property
    def key(self) -> tuple[Any, str]:
        return (self.product_id, self.market)


def to_row(d: dict[str, Any]) -> Row | None:
    """Normalise one listing row; None when it has no usable price."""
    listing = d.get("listing") or {}
    raw = d.get("raw_data") or {}
    price = listing.get("price")
    if not isinstance(price, (int, float)) or price <= 0:
        return None
    ev = d.get("evidence")
    return Row(
        product_id=d.get("product_id", d.get("id")), supplier_key=d.get("supplier_key", ""), market=d["market"],
        price=int(price), stock=listing.get("stock"), cost=int(d.get("cost", raw.get("cost", 0)) or 0),
        shipping_fee=int(raw.get("shipping_fee") or 0), category_path=listing.get("category_path"),
        title=listing.get("title") or raw.get("name", ""), state=listing.get("state", "active"),
        status=d.get("status"), seller_code=listing.get("seller_code", ""),
        evidence=ev if isinstance(ev, MarketEvidence) or ev is None else MarketEvidence(**ev),
        sales_per_day=d.get("sales_per_day"), supplier_velocity=d.get("supplier_velocity"),
        price_override=d.get("price_override"))


@dataclass
class Money:
    """The pricing policy applied to one row."""

    commission: float
    absorbed_shipping: int
    floor: int | None  # break-even price under the minimum margin; None: cannot be priced
    unit: int

    def margin(self, price: int, cost: int) -> int:
        """KRW left after commission, cost and the shipping the seller absorbs."""
        return int(price * (1 - self.commission) - cost - self.absorbed_shipping)


def money(r: Row, g: Guardrails) -> Money:
    mp = g.policy.for_market(r.market)
    try:
        q = quote(r.cost, r.shipping_fee, mp, r.category_path)
        return Money(q.commission_rate, q.absorbed_shipping, q.break_even, mp.rounding_unit)
    except PolicyError:
        return Money(mp.commission_for(r.category_path), 0, None, mp.rounding_unit)


def allowed_range(r: Row, base_price: int, g: Guardrails) -> tuple[int, int] | None:
    """Prices allowed today, on the market's rounding unit: at or above the break-even price and
    within the daily change of the day's starting price. None when both cannot hold."""
    m = money(r, g)
    if m.floor is None:
        return None
    d = g.max_change_pct_per_day / 100
    lo = max(m.floor, round_up(base_price * (1 - d), m.unit))
    hi = int(math.floor(base_price * (1 + d) / m.unit + 1e-9) * m.unit)
    return (lo, hi) if lo <= hi else None


# ---- price recommendations ------------------------------------------------------------------


def _target(r: Row, g: Guardrails, m: Money, now: float) -> tuple[float | None, list[str], str]:
    """The price the evidence argues for, the reasons, and the kind of evidence."""
    if m.floor is not None and r.price < m.floor:
        return float(m.floor), [f"price {r.price:,} is below the break-even price {m.floor:,} "
                                f"(pricing.yaml: commission {m.commission:.2%}, minimum margin)"], "floor"
    velocity = r.sales_per_day
    if r.stock is not None and r.stock > 0 and velocity and velocity > 0:
        days = r.stock / velocity
        market_room = r.evidence is None or (r.evidence.median_price or 0) > r.price
        if days < g.stock_cover_days and market_room:
            return (r.price * (1 + g.max_change_pct_per_day / 100),
                    [f"stock-out risk: {r.stock} left, about {days:.1f} days at {velocity:.2f} sold per day "
                     f"(orders)"], "stockout")
    ev = r.evidence
    if ev is None or ev.lowest_price is None:
        return None, [], ""
    age = ev.age_days(now)
    if age > g.max_evidence_age_days:
        return None, [], ""
    when = f"{ev.source}, {age * 24:.0f}h old"
    if ev.lowest_price < r.price * (1 - g.min_change_pct / 100):
        return (float(ev.lowest_price - m.unit),
                [f"cheapest comparable item sells at {ev.lowest_price:,} "
                 f"({ev.seller_count} seller(s), band {ev.band_low:,}-{ev.band_high:,}; {when})"], "competitor")
    if ev.seller_count >= g.min_sellers_to_raise and ev.lowest_price >= r.price * (1 + g.raise_gap_pct / 100):
        return (float(ev.lowest_price - m.unit),
                [f"{ev.seller_count} comparable sellers, the cheapest at {ev.lowest_price:,}, "
                 f"{(ev.lowest_price / r.price - 1) * 100:.0f}% above ours ({when})"], "market_room")
    return None, [], ""


def recommend_price(r: Row, g: Guardrails, base_price: int | None = None,
                    now: float | None = None) -> dict[str, Any] | None:
    """One product × market: a new price with its reasons and evidence, or None to keep it."""
    now = now or time.time()
    m = money(r, g)
    target, reasons, kind = _target(r, g, m, now)
    if target is None:
        return None
    base = {"product_id": r.product_id, "market": r.market, "supplier_key": r.supplier_key,
            "seller_code": r.seller_code, "title": r.title[:80], "old_price": r.price, "floor_price": m.floor,
            "evidence_kind": kind, "evidence": r.evidence.describe(now) if r.evidence else None,
            "sales_per_day": r.sales_per_day}
    rng = allowed_range(r, base_price or r.price, g)
    if rng is None:
        return {**base, "action": "review", "new_price": None, "reasons": reasons + [
            f"one day's {g.max_change_pct_per_day:g}% change cannot reach the break-even price "
            f"{m.floor if m.floor is not None else '-'}: pause or reprice by hand"]}
    lo, hi = rng
    new = int(round(target / m.unit) * m.unit)
    clamped = max(lo, min(hi, new))
    if clamped != new:
        reasons.append(f"limited to {lo:,}..{hi:,} by the guardrails (break-even {m.floor:,}, "
                       f"±{g.max_change_pct_per_day:g}% a day)")
    if abs(clamped - r.price) < r.price * g.min_change_pct / 100:
        return None
    return {**base, "action": "reprice", "new_price": clamped,
            "change_pct": round((clamped - r.price) / r.price * 100, 2),
            "margin_krw": m.margin(clamped, r.cost), "margin_krw_before": m.margin(r.price, r.cost),
            "reasons": reasons}


def price_recommendations(rows: list[Row], g: Guardrails, day_start_prices: dict[tuple[Any, str], int] | None = None,
                          now: float | None = None) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if r.state != "active" or (r.price_override and r.price_override != r.price):
            continue  # not for sale, or an approved price is on its way to the listing
        rec = recommend_price(r, g, (day_start_prices or {}).get(r.key), now)
        if rec is not None:
            out.append(rec)
    return out


# ---- market insights ------------------------------------------------------------------------


def market_insights(rows: list[Row], g: Guardrails | None = None) -> dict[str, Any]:
    g = g or Guardrails()
    by_market: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_market[r.market].append(r)
    cats = {m: {r.category_path or "?" for r in rs} for m, rs in by_market.items()}
    out: dict[str, Any] = {}
    for mk, rs in sorted(by_market.items()):
        prices = [r.price for r in rs]
        margins = [money(r, g).margin(r.price, r.cost) / r.price for r in rs]
        compared = [r.price / r.evidence.lowest_price for r in rs if r.evidence and r.evidence.lowest_price]
        others = set().union(*(c for m2, c in cats.items() if m2 != mk)) if len(cats) > 1 else set()
        mix = Counter(r.category_path or "?" for r in rs)
        out[mk] = {
            "listings": len(rs),
            "active": sum(1 for r in rs if r.state == "active" and (r.stock is None or r.stock > 0)),
            "price_avg": round(statistics.fmean(prices)),
            "price_median": round(statistics.median(prices)),
            # after the market's commission and absorbed shipping (pricing.yaml), as a share of price
            "margin_rate_avg_after_fees": round(statistics.fmean(margins), 4),
            "market_position": {"compared": len(compared),
                                "cheapest": sum(1 for p in compared if p <= 1.0),
                                "within_5pct": sum(1 for p in compared if 1.0 < p <= 1.05),
                                "above": sum(1 for p in compared if p > 1.05)},
            "with_sales_rate": sum(1 for r in rs if r.sales_per_day is not None),
            "category_mix": [{"category": c, "listings": n, "share": round(n / len(rs), 3)}
                             for c, n in mix.most_common(10)],
            "category_gaps": sorted(others - cats[mk])[:20],
        }
    return out


# ---- inventory ------------------------------------------------------------------------------


def inventory_alerts(rows: list[Row], g: Guardrails) -> list[dict[str, Any]]:
    """Live listings of products that are gone or out of stock, and a stock-out risk only when a
    real rate (our orders, else the supplier's falling stock) says it will run out."""
    out = []
    for r in rows:
        base = {"product_id": r.product_id, "market": r.market, "supplier_key": r.supplier_key,
                "seller_code": r.seller_code, "title": r.title[:80], "stock": r.stock}
        live = r.status in (None, "published", "pending")
        rate, source = ((r.sales_per_day, "orders") if r.sales_per_day else
                        (r.supplier_velocity, "supplier stock movements") if r.supplier_velocity else (None, ""))
        if r.state in ("soldout", "deleted") and live:
            out.append({**base, "severity": "high", "action": "pause",
                        "reason": f"supplier marks it {r.state} but the listing is live"})
        elif r.stock is not None and r.stock <= 0 and live:
            out.append({**base, "severity": "high", "action": "pause", "reason": "out of stock"})
        elif r.stock is not None and rate and rate > 0 and r.stock / rate < g.stock_cover_days:
            days = r.stock / rate
            out.append({**base, "severity": "medium", "action": "restock_or_raise", "days_of_cover": round(days, 1),
                        "reason": f"{r.stock} left, about {days:.1f} days at {rate:.2f} per day ({source})"})
    return out


# ---- promotions -----------------------------------------------------------------------------


def promotion_plans(rows: list[Row], g: Guardrails, budget_krw: int, exclude: Iterable[tuple[Any, str]] = (),
                    steps_pct: Iterable[int] = (20, 15, 10, 5)) -> dict[str, Any]:
    """Discounts for overstocked items that sell slowly by a real rate, with margin to spare,
    biggest headroom first, until the budget (discount × expected units) is spent. No discounted
    price under the break-even price; no plan without a sales rate to size it."""
    exclude = set(exclude)
    candidates = []
    for r in rows:
        if r.key in exclude or r.state != "active" or r.stock is None or r.sales_per_day is None:
            continue
        if r.stock < g.overstock or r.sales_per_day * 28 >= r.stock:
            continue
        m = money(r, g)
        if m.floor is None:
            continue
        for pct in steps_pct:
            discounted = round_up(r.price * (1 - pct / 100), m.unit)
            if m.floor <= discounted < r.price:
                units = max(1, min(r.stock, round(r.sales_per_day * 14)))
                candidates.append((r.price - m.floor, r, pct, discounted, units, m.floor))
                break
    candidates.sort(key=lambda c: (-c[0] / c[1].price, str(c[1].product_id)))
    plans, spent = [], 0
    for _headroom, r, pct, discounted, units, floor in candidates:
        cost = (r.price - discounted) * units
        if spent + cost > budget_krw:
            continue
        spent += cost
        plans.append({"product_id": r.product_id, "market": r.market, "supplier_key": r.supplier_key,
                      "seller_code": r.seller_code, "type": "instant_discount" if r.market == "coupang" else "coupon",
                      "discount_pct": pct, "price": r.price, "promo_price": discounted, "floor_price": floor,
                      "expected_units": units, "budget_krw": cost,
                      "reason": f"{r.stock} in stock, {r.sales_per_day:.2f} sold per day (orders)"})
    return {"budget_krw": budget_krw, "planned_krw": spent, "plans": plans}
