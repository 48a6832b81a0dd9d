"""The conductor: runs the agents in order over one WorkflowContext, consults memory about
similar past decisions and their outcomes, and says whether its inputs changed at all.

    rows = listing_rows_from_store(store_rows, evidence=..., sales=..., velocity=...)
    digest = input_digest(market, rows, guardrails, approved)      # same digest: nothing to do
    result = Conductor(guardrails, "manual", approved).run(rows, recall=hints_fn)

Price changes are "to apply" only in `auto` approval mode or when a person approved them;
otherwise they wait as `pending_approval`. No Dagster here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from dropship_core.ai.agents import (Guardrails, MarketEvidence, inventory_alerts, market_insights,
                                     price_recommendations, promotion_plans, to_row)
from dropship_core.ai.memory_types import WorkflowContext

AGENT_ORDER = ("market_insights", "price_recommendations", "inventory_alerts", "promotion_plans")
Recall = Callable[[list[dict[str, Any]]], dict[tuple[Any, str], dict[str, Any]]]


@dataclass
class ConductorResult:
    context: WorkflowContext
    market_insights: dict[str, Any]
    price_recommendations: list[dict[str, Any]]
    inventory_alerts: list[dict[str, Any]]
    promotion_plans: dict[str, Any]
    to_apply: list[dict[str, Any]]
    held_back: list[dict[str, Any]]
    skipped_rows: int = 0

    @property
    def decisions(self) -> list[dict[str, Any]]:
        return self.context.decisions


class Conductor:
    """approval_mode "auto" applies every guarded price change; "manual" applies only those whose
    (product_id, market) is in `approved` (or for which `approved(rec)` is true)."""

    def __init__(self, guardrails: Guardrails | None = None, approval_mode: str = "manual",
                 approved: set[tuple[Any, str]] | Callable[[dict[str, Any]], bool] | None = None,
                 promotion_budget_krw: int = 100_000):
        if approval_mode not in ("auto", "manual"):
            raise ValueError("approval_mode is 'auto' or 'manual'")
        self.g = guardrails or Guardrails()
        self.approval_mode, self.approved = approval_mode, approved
        self.promotion_budget_krw = promotion_budget_krw

    def _is_approved(self, rec: dict[str, Any]) -> bool:
        if self.approval_mode == "auto":
            return True
        if callable(self.approved):
            return bool(self.approved(rec))
        return (rec["product_id"], rec["market"]) in (self.approved or set())

    def run(self, listing_rows: Iterable[dict[str, Any]], context: WorkflowContext | None = None,
            day_start_prices: dict[tuple[Any, str], int] | None = None, recall: Recall | None = None,
            now: float | None = None) -> ConductorResult:
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
        recs = price_recommendations(rows, self.g, day_start_prices, now)
        recs, held = self._consult_memory(recs, recall)
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
        return ConductorResult(ctx, insights, recs, alerts, promos, to_apply, held, len(raw) - len(rows))

    @staticmethod
    def _consult_memory(recs: list[dict[str, Any]], recall: Recall | None):
        """Attach what memory says about similar past decisions; a raise is held back when a
        similar raise before was followed by sales stopping."""
        if recall is None or not recs:
            return recs, []
        hints = recall(recs)
        kept, held = [], []
        for rec in recs:
            h = hints.get((rec["product_id"], rec["market"]))
            if h:
                rec["memory"] = h.get("notes", [])[:3]
            raising = rec.get("new_price") is not None and rec["new_price"] > rec["old_price"]
            if h and raising and h.get("raise_stopped_sales"):
                held.append({**rec, "held_because": h["notes"][0] if h.get("notes") else "a past raise stopped sales"})
                continue
            kept.append(rec)
        return kept, held


def listing_rows_from_store(store_rows: Iterable[dict[str, Any]],
                            evidence: dict[Any, dict[str, Any]] | None = None,
                            sales: dict[Any, float] | None = None,
                            velocity: dict[Any, float] | None = None) -> list[dict[str, Any]]:
    """source_data rows (id, supplier_key, raw_data, market_data) -> one listing row per product ×
    market, with the market_prices evidence and real sales rates for that market when given."""
    out = []
    for s in store_rows:
        pid = s.get("id", s.get("product_id"))
        for market, md in (s.get("market_data") or {}).items():
            if not isinstance(md, dict) or not md.get("listing"):
                continue
            ev = (evidence or {}).get(pid)
            out.append({"product_id": pid, "supplier_key": s.get("supplier_key", ""), "market": market,
                        "listing": md["listing"], "raw_data": s.get("raw_data") or {}, "status": md.get("status"),
                        "evidence": _evidence(ev) if ev else None, "sales_per_day": (sales or {}).get(pid),
                        "supplier_velocity": (velocity or {}).get(pid), "price_override": md.get("price_override")})
    return out


def _evidence(ev: dict[str, Any]) -> MarketEvidence | None:
    if ev.get("lowest_price") is None:
        return None
    return MarketEvidence(ev["lowest_price"], int(ev.get("seller_count") or 0), ev.get("band_low"),
                          ev.get("band_high"), ev.get("median_price"), int(ev.get("matched") or 0),
                          float(ev["observed_at"]), ev.get("source") or "naver_shopping", ev.get("query") or "")


def input_digest(market: str, listing_rows: list[dict[str, Any]], g: Guardrails,
                 approved: Iterable[Any] = (), extra: dict[str, Any] | None = None) -> str:
    """Everything the agents decide from, hashed: listings (price, stock, state, status, cost),
    evidence values (not their fetch time), sales rates, approvals, the policy and guardrails."""
    h = hashlib.sha256()
    h.update(json.dumps([market, g.fingerprint(), sorted(map(str, approved)), extra or {}],
                        sort_keys=True, default=str).encode())
    for d in sorted(listing_rows, key=lambda d: str(d["product_id"])):
        lst, ev = d.get("listing") or {}, d.get("evidence")
        doc = [d["product_id"], lst.get("price"), lst.get("stock"), lst.get("state"), d.get("status"),
               (d.get("raw_data") or {}).get("cost"), (d.get("raw_data") or {}).get("shipping_fee"),
               lst.get("category_path"), d.get("sales_per_day"), d.get("supplier_velocity"), d.get("price_override")]
        if ev is not None:
            doc += [ev.lowest_price, ev.seller_count, ev.band_low, ev.band_high, ev.median_price]
        h.update(json.dumps(doc, default=str).encode())
    return h.hexdigest()[:24]
