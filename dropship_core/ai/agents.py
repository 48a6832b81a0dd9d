"""The business agents and their conductor (pure functions, no Dagster, no network).

From listing rows (one per product × market) the agents produce:

- `market_insights`: per market, price position against same-category peers, category mix, and
  gaps (categories the catalog carries that a market does not list).
- `price_recommendations`: a new price with its reasons, always inside the guardrails: never
  below cost + shipping + the market's commission + the minimum margin, and never more than the
  daily maximum change away from the day's starting price.
- `inventory_alerts`: stock-outs and stock-out risk; listings to pause.
- `promotion_plans`: discount or coupon candidates within a budget, none below the price floor.

`Conductor.run(rows)` runs them in that order over one `WorkflowContext` and returns every
decision (the caller records each as an event). Price changes are "to apply" only in `auto`
approval mode or when approved; otherwise they wait as `pending_approval`.

A listing row is a dict: {"product_id", "supplier_key", "market", "listing": {...}} as in
docs/data-shapes.md, with the product's cost in `row["raw_data"]["cost"]` (or `row["cost"]`);
optional `status` (the market_data status), `sales_7d` (units sold in 7 days),
`competitor_price` (lowest seen price of the same item elsewhere).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from dropship_core.ai.memory import WorkflowContext

DEFAULT_COMMISSION = {"smartstore": 0.055, "coupang": 0.108, "gmarket": 0.12}


@dataclass
class Guardrails:
    """Limits every price decision respects. Money in whole KRW."""

    min_margin_rate: float = 0.08  # of the selling price, after commission, cost and shipping
    min_margin_krw: int = 500
    commission_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_COMMISSION))
    default_commission_rate: float = 0.12
    max_change_pct_per_day: float = 10.0
    price_unit: int = 10  # prices end in 0
    low_stock: int = 5
    overstock: int = 50
    stock_cover_days: float = 7.0  # alert when stock lasts fewer days than this at the current pace

    def commission(self, market: str) -> float:
        return self.commission_rates.get(market, self.default_commission_rate)


@dataclass
class Row:
    product_id: Any
    supplier_key: str
    market: str
    price: int
    stock: int | None
    cost: int
    shipping_cost: int  # what the seller pays for shipping beyond what the buyer is charged
    category_id: str | None
    category_path: str | None
    title: str
    state: str
    status: str | None
    sales_7d: float | None
    competitor_price: int | None

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
    cost = d.get("cost", raw.get("cost", 0)) or 0
    supplier_ship = raw.get("shipping_fee", d.get("supplier_shipping_fee", 0)) or 0
    buyer_ship = listing.get("shipping_fee", 0) or 0
    return Row(
        product_id=d.get("product_id", d.get("id")), supplier_key=d.get("supplier_key", ""),
        market=d["market"], price=int(price), stock=listing.get("stock"), cost=int(cost),
        shipping_cost=max(0, int(supplier_ship) - int(buyer_ship)),
        category_id=str(listing["category_id"]) if listing.get("category_id") is not None else None,
        category_path=listing.get("category_path"), title=listing.get("title", ""),
        state=listing.get("state", "active"), status=d.get("status"),
        sales_7d=d.get("sales_7d"), competitor_price=d.get("competitor_price"),
    )


def _ceil_to(x: float, unit: int) -> int:
    return int(math.ceil(x / unit - 1e-9) * unit)


def price_floor(cost: int, shipping_cost: int, commission_rate: float, g: Guardrails) -> int:
    """The lowest price that still leaves the minimum margin after cost, shipping and commission:
    p·(1 − c) − cost − ship ≥ max(min_margin_krw, min_margin_rate·p)."""
    base = cost + shipping_cost
    by_rate = base / max(1e-9, 1 - commission_rate - g.min_margin_rate)
    by_krw = (base + g.min_margin_krw) / max(1e-9, 1 - commission_rate)
    return _ceil_to(max(by_rate, by_krw), g.price_unit)


def margin(price: int, r: Row, g: Guardrails) -> int:
    return int(price - price * g.commission(r.market) - r.cost - r.shipping_cost)


def allowed_range(r: Row, base_price: int, g: Guardrails) -> tuple[int, int] | None:
    """Integer prices allowed today: at or above the floor and within the daily change of the
    day's starting price. None when the two cannot both hold (the price sits below its floor and
    one day's change cannot lift it)."""
    d = g.max_change_pct_per_day / 100
    floor_p = price_floor(r.cost, r.shipping_cost, g.commission(r.market), g)
    lo = max(floor_p, math.ceil(base_price * (1 - d) - 1e-9))
    hi = math.floor(base_price * (1 + d) + 1e-9)
    if lo > hi:
        return None
    return lo, hi


# ---- market insights ------------------------------------------------------------------------


def market_insights(rows: list[Row], g: Guardrails | None = None) -> dict[str, Any]:
    g = g or Guardrails()
    by_market: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_market[r.market].append(r)
    cats_by_market = {m: {r.category_path or r.category_id or "?" for r in rs} for m, rs in by_market.items()}
    products_by_market = {m: {r.product_id for r in rs} for m, rs in by_market.items()}
    all_products = set().union(*products_by_market.values()) if products_by_market else set()
    out: dict[str, Any] = {}
    peers = peer_medians(rows)
    for m, rs in sorted(by_market.items()):
        prices = [r.price for r in rs]
        positions = []
        for r in rs:
            med = peers.get((m, r.category_id))
            if med and med.get("n", 0) >= 2:
                positions.append(r.price / med["median"])
        mix = Counter(r.category_path or r.category_id or "?" for r in rs)
        other_cats = set().union(*(c for mm, c in cats_by_market.items() if mm != m)) if len(cats_by_market) > 1 else set()
        margins = [(r.price * (1 - g.commission(m)) - r.cost - r.shipping_cost) / r.price for r in rs]
        out[m] = {
            "listings": len(rs),
            "active": sum(1 for r in rs if r.state == "active" and (r.stock is None or r.stock > 0)),
            "price_avg": round(statistics.fmean(prices)),
            "price_median": round(statistics.median(prices)),
            "margin_rate_avg": round(statistics.fmean(margins), 4),
            "price_position": {
                "below_peers": sum(1 for p in positions if p < 0.95),
                "at_peers": sum(1 for p in positions if 0.95 <= p <= 1.05),
                "above_peers": sum(1 for p in positions if p > 1.05),
                "compared": len(positions),
            },
            "category_mix": [{"category": c, "listings": n, "share": round(n / len(rs), 3)}
                             for c, n in mix.most_common(10)],
            "category_gaps": sorted(other_cats - cats_by_market[m])[:20],
            "unlisted_products": len(all_products - products_by_market[m]),
        }
    return out


def peer_medians(rows: list[Row]) -> dict[tuple[str, str | None], dict[str, float]]:
    groups: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for r in rows:
        groups[(r.market, r.category_id)].append(r.price)
    return {k: {"median": statistics.median(v), "n": len(v)} for k, v in groups.items()}


# ---- price recommendations ------------------------------------------------------------------


def recommend_price(r: Row, g: Guardrails, peers: dict, base_price: int | None = None) -> dict[str, Any] | None:
    """One product × market: a new price with reasons, or None to keep it."""
    base = base_price or r.price
    floor_p = price_floor(r.cost, r.shipping_cost, g.commission(r.market), g)
    rng = allowed_range(r, base, g)
    reasons: list[str] = []
    if rng is None:
        return {"product_id": r.product_id, "market": r.market, "supplier_key": r.supplier_key,
                "action": "review", "old_price": r.price, "new_price": None, "floor_price": floor_p,
                "reasons": [f"price {r.price:,} is below the floor {floor_p:,} (cost {r.cost:,} + shipping "
                            f"{r.shipping_cost:,} + commission + minimum margin) and one day's "
                            f"{g.max_change_pct_per_day:g}% change cannot reach it: pause or reprice by hand"]}
    lo, hi = rng
    target = float(r.price)
    med = peers.get((r.market, r.category_id))
    if r.price < floor_p:
        target = floor_p
        reasons.append(f"below the floor {floor_p:,}: raise")
    elif r.competitor_price and r.competitor_price < r.price:
        target = r.competitor_price - g.price_unit
        reasons.append(f"competitor sells at {r.competitor_price:,}")
    elif med and med["n"] >= 3:
        pos = r.price / med["median"]
        if pos > 1.15:
            target = med["median"] * 1.05
            reasons.append(f"{(pos - 1) * 100:.0f}% above the category median {med['median']:,.0f}")
        elif pos < 0.85:
            target = med["median"] * 0.95
            reasons.append(f"{(1 - pos) * 100:.0f}% below the category median {med['median']:,.0f}: margin left on the table")
    if r.stock is not None and 0 < r.stock <= g.low_stock and target <= r.price:
        target = r.price * (1 + g.max_change_pct_per_day / 100)
        reasons = [f"only {r.stock} left: raise while it lasts"]
    if not reasons:
        return None
    new = max(lo, min(hi, int(round(target / g.price_unit) * g.price_unit)))
    if new < lo or new > hi:  # rounding pushed it out
        new = max(lo, min(hi, int(target)))
    if new == r.price:
        return None
    if new != int(round(target)):
        reasons.append(f"limited to {lo:,}..{hi:,} by the guardrails")
    return {"product_id": r.product_id, "market": r.market, "supplier_key": r.supplier_key, "action": "reprice",
            "old_price": r.price, "new_price": new, "change_pct": round((new - r.price) / r.price * 100, 2),
            "floor_price": floor_p, "margin_krw": margin(new, r, g), "reasons": reasons}


def price_recommendations(rows: list[Row], g: Guardrails,
                          day_start_prices: dict[tuple[Any, str], int] | None = None) -> list[dict[str, Any]]:
    peers = peer_medians(rows)
    out = []
    for r in rows:
        if r.state != "active":
            continue
        rec = recommend_price(r, g, peers, (day_start_prices or {}).get(r.key))
        if rec is not None:
            out.append(rec)
    return out


# ---- inventory ------------------------------------------------------------------------------


def inventory_alerts(rows: list[Row], g: Guardrails) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        base = {"product_id": r.product_id, "market": r.market, "supplier_key": r.supplier_key, "stock": r.stock}
        live = r.status in (None, "published", "pending")
        if r.state in ("soldout", "deleted") and live:
            out.append({**base, "severity": "high", "action": "pause",
                        "reason": f"supplier marks it {r.state} but the listing is live"})
        elif r.stock is not None and r.stock <= 0 and live:
            out.append({**base, "severity": "high", "action": "pause", "reason": "out of stock"})
        elif r.stock is not None and r.sales_7d and r.sales_7d > 0:
            days = r.stock * 7 / r.sales_7d
            if days < g.stock_cover_days:
                out.append({**base, "severity": "medium", "action": "restock_or_raise",
                            "days_of_cover": round(days, 1),
                            "reason": f"{r.stock} left, about {days:.1f} days at {r.sales_7d:g} sold per week"})
        elif r.stock is not None and r.stock <= g.low_stock:
            out.append({**base, "severity": "low", "action": "watch", "reason": f"only {r.stock} left"})
    return out


# ---- promotions -----------------------------------------------------------------------------


def promotion_plans(rows: list[Row], g: Guardrails, budget_krw: int, exclude: set[tuple[Any, str]] = frozenset(),
                    steps_pct: Iterable[int] = (20, 15, 10, 5)) -> dict[str, Any]:
    """Discounts for overstocked or slow items with margin to spare, biggest headroom first,
    until the budget (discount × expected units) is spent. No discounted price under the floor."""
    candidates = []
    for r in rows:
        if r.key in exclude or r.state != "active" or r.stock is None:
            continue
        slow = r.sales_7d is not None and r.sales_7d * 4 < r.stock
        if r.stock < g.overstock and not slow:
            continue
        floor_p = price_floor(r.cost, r.shipping_cost, g.commission(r.market), g)
        for pct in steps_pct:
            discounted = _ceil_to(r.price * (1 - pct / 100), g.price_unit)
            if discounted >= floor_p and discounted < r.price:
                units = max(1, min(r.stock, round((r.sales_7d or 3) * 2)))
                candidates.append((r.price - floor_p, r, pct, discounted, units))
                break
    candidates.sort(key=lambda c: (-c[0] / c[1].price, str(c[1].product_id)))
    plans, spent = [], 0
    for headroom, r, pct, discounted, units in candidates:
        cost = (r.price - discounted) * units
        if spent + cost > budget_krw:
            continue
        spent += cost
        plans.append({"product_id": r.product_id, "market": r.market, "supplier_key": r.supplier_key,
                      "type": "instant_discount" if r.market == "coupang" else "coupon",
                      "discount_pct": pct, "price": r.price, "promo_price": discounted,
                      "floor_price": r.price - headroom, "expected_units": units, "budget_krw": cost,
                      "reason": f"{r.stock} in stock" + (f", {r.sales_7d:g} sold in 7 days" if r.sales_7d is not None else "")})
    return {"budget_krw": budget_krw, "planned_krw": spent, "plans": plans}


# ---- conductor ------------------------------------------------------------------------------

AGENT_ORDER = ("market_insights", "price_recommendations", "inventory_alerts", "promotion_plans")


@dataclass
class ConductorResult:
    context: WorkflowContext
    market_insights: dict[str, Any]
    price_recommendations: list[dict[str, Any]]
    inventory_alerts: list[dict[str, Any]]
    promotion_plans: dict[str, Any]
    to_apply: list[dict[str, Any]]  # price changes cleared to push (auto mode, or approved)
    skipped_rows: int = 0

    @property
    def decisions(self) -> list[dict[str, Any]]:
        return self.context.decisions


class Conductor:
    """Runs the agents in order over a shared WorkflowContext.

    approval_mode: "auto" applies every guarded price change; "manual" applies only those whose
    (product_id, market) is in `approved` (or for which `approved(rec)` is true), the rest come
    back as `pending_approval`.
    """

    def __init__(self, guardrails: Guardrails | None = None, approval_mode: str = "manual",
                 approved: set[tuple[Any, str]] | Callable[[dict[str, Any]], bool] | None = None,
                 promotion_budget_krw: int = 100_000):
        if approval_mode not in ("auto", "manual"):
            raise ValueError("approval_mode is 'auto' or 'manual'")
        self.g = guardrails or Guardrails()
        self.approval_mode = approval_mode
        self.approved = approved
        self.promotion_budget_krw = promotion_budget_krw

    def _is_approved(self, rec: dict[str, Any]) -> bool:
        if self.approval_mode == "auto":
            return True
        if callable(self.approved):
            return bool(self.approved(rec))
        return (rec["product_id"], rec["market"]) in (self.approved or set())

    def run(self, listing_rows: Iterable[dict[str, Any]], context: WorkflowContext | None = None,
            day_start_prices: dict[tuple[Any, str], int] | None = None) -> ConductorResult:
        ctx = context or WorkflowContext(approval_mode=self.approval_mode)
        ctx.approval_mode = self.approval_mode
        raw = list(listing_rows)
        rows = [r for r in (to_row(d) for d in raw) if r is not None]
        ctx.data["rows"] = len(rows)

        insights = market_insights(rows, self.g)
        ctx.agent_outputs["market_insights"] = insights
        for m, ins in insights.items():
            ctx.add_decision("market_insights", "insight", market=m, summary=ins)

        alerts = inventory_alerts(rows, self.g)
        paused = {(a["product_id"], a["market"]) for a in alerts if a["action"] == "pause"}

        recs = price_recommendations(rows, self.g, day_start_prices)
        to_apply = []
        for rec in recs:
            if rec["action"] != "reprice":
                rec["status"] = "needs_review"
            elif (rec["product_id"], rec["market"]) in paused:
                rec["status"] = "superseded_by_pause"
            elif self._is_approved(rec):
                rec["status"] = "to_apply"
                to_apply.append(rec)
            else:
                rec["status"] = "pending_approval"
            ctx.add_decision("price_recommendations", "price_recommendation", **rec)
        ctx.agent_outputs["price_recommendations"] = recs

        ctx.agent_outputs["inventory_alerts"] = alerts
        for a in alerts:
            ctx.add_decision("inventory_alerts", "inventory_alert", **a)

        changed = {(r["product_id"], r["market"]) for r in to_apply}
        promos = promotion_plans(rows, self.g, self.promotion_budget_krw, exclude=paused | changed)
        ctx.agent_outputs["promotion_plans"] = promos
        for p in promos["plans"]:
            ctx.add_decision("promotion_plans", "promotion_plan", **p)

        return ConductorResult(ctx, insights, recs, alerts, promos, to_apply, skipped_rows=len(raw) - len(rows))


async def remember_decisions(result: ConductorResult, backends: Any, context_id: str | None = None) -> int:
    """Store a one-line memory per decision (semantic memory), so `dropship ask` and later runs
    can recall why a price moved. Returns how many were stored."""
    n = 0
    cid = context_id or f"workflow:{result.context.workflow_id}"
    for d in result.decisions:
        if d["kind"] == "insight":
            s = d["summary"]
            text = (f"{d['market']}: {s['listings']} listings, median price {s['price_median']:,}, "
                    f"average margin {s['margin_rate_avg'] * 100:.1f}%")
        elif d["kind"] == "price_recommendation":
            text = (f"{d['market']} product {d['product_id']}: price {d['old_price']:,} -> {d.get('new_price')} "
                    f"({d['status']}); " + "; ".join(d["reasons"]))
        elif d["kind"] == "inventory_alert":
            text = f"{d['market']} product {d['product_id']}: {d['action']} ({d['reason']})"
        else:
            text = (f"{d['market']} product {d['product_id']}: {d['type']} {d['discount_pct']}% "
                    f"to {d['promo_price']:,}")
        await backends.vectors.add_memory(text, agent_name=d["agent"], context_id=cid, memory_type=d["kind"],
                                          metadata={"product_id": str(d.get("product_id", "")),
                                                    "market": d.get("market")})
        n += 1
    return n


def listing_rows_from_store(store_rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """source_data rows (id, supplier_key, raw_data, market_data, ...) -> one listing row per
    product × market that has a listing."""
    out = []
    for s in store_rows:
        for market, md in (s.get("market_data") or {}).items():
            if not isinstance(md, dict) or not md.get("listing"):
                continue
            out.append({"product_id": s.get("id", s.get("product_id")), "supplier_key": s.get("supplier_key", ""),
                        "market": market, "listing": md["listing"], "raw_data": s.get("raw_data") or {},
                        "status": md.get("status"), "sales_7d": md.get("sales_7d"),
                        "competitor_price": md.get("competitor_price")})
    return out
