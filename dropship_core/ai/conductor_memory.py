"""The conductor's memory: every decision and, later, its outcome go to semantic memory; before a
new price change, similar past decisions and what followed them are read back.

An outcome compares the sales rate recorded with an applied price change (real orders only)
with the rate now. A raise after which sales stopped holds back a similar raise. Without sales
data the outcome says so and holds nothing back. No Dagster here.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from dropship_core.ai.conductor import ConductorResult

OUTCOME_TYPE = "outcome"


def decision_text(d: dict[str, Any]) -> str:
    kind = d["kind"]
    if kind == "insight":
        s = d["summary"]
        return (f"{d['market']}: {s['listings']} listings, median price {s['price_median']:,}, average margin "
                f"after fees {s['margin_rate_avg_after_fees'] * 100:.1f}%")
    if kind == "price_recommendation":
        return (f"{d['market']} {d.get('title', '')} (#{d['product_id']}): price {d['old_price']:,} -> "
                f"{d.get('new_price')} ({d.get('status')}); " + "; ".join(d.get("reasons", [])))
    if kind == "inventory_alert":
        return f"{d['market']} {d.get('title', '')} (#{d['product_id']}): {d['action']} ({d['reason']})"
    return (f"{d['market']} #{d['product_id']}: {d['type']} {d['discount_pct']}% to {d['promo_price']:,}")


async def remember_decisions(result: ConductorResult, vectors: Any, context_id: str | None = None) -> int:
    """One memory per decision, so `ask` and later runs can recall why a price moved."""
    cid = context_id or f"workflow:{result.context.workflow_id}"
    for d in result.decisions:
        direction = None
        if d["kind"] == "price_recommendation" and d.get("new_price") is not None:
            direction = "raise" if d["new_price"] > d["old_price"] else "cut"
        await vectors.add_memory(decision_text(d), agent_name="conductor", context_id=cid, memory_type=d["kind"],
                                 metadata={"product_id": str(d.get("product_id", "")), "market": d.get("market"),
                                           "direction": direction})
    return len(result.decisions)


def outcome_of(change: dict[str, Any], sales_now: float | None) -> dict[str, Any]:
    p = change["payload"]
    before = p.get("sales_per_day")
    direction = "raise" if (p.get("new_price") or 0) > p.get("old_price", 0) else "cut"
    stopped = bool(before and before > 0 and sales_now is not None and sales_now == 0)
    if before is None or sales_now is None:
        effect = "no sales data to judge the effect yet"
    else:
        effect = f"sales {before:.2f}/day before, {sales_now:.2f}/day now" + ("; sales stopped" if stopped else "")
    text = (f"outcome: {p['market']} {p.get('title', '')} (#{p['product_id']}) price {direction} "
            f"{p['old_price']:,} -> {p.get('new_price'):,}; {effect}")
    return {"text": text, "stopped_sales": stopped, "direction": direction, "product_id": str(p["product_id"]),
            "market": p["market"], "decision_id": change["id"], "judged": before is not None and sales_now is not None}


async def remember_outcomes(changes: list[dict[str, Any]], sales_now: dict[Any, float], vectors: Any) -> int:
    """Write (or refresh) one outcome memory per applied change; ids are stable, so a re-run
    does not duplicate them."""
    for c in changes:
        o = outcome_of(c, sales_now.get(c["product_id"]))
        await vectors.add_memory(o["text"], agent_name="conductor", memory_type=OUTCOME_TYPE,
                                 context_id=f"market:{o['market']}", memory_id=f"outcome:{o['decision_id']}",
                                 metadata={k: v for k, v in o.items() if k != "text"})
    return len(changes)


async def recall_hints(recs: list[dict[str, Any]], vectors: Any, min_score: float = 0.5,
                       same_product_only: bool = False) -> dict[tuple[Any, str], dict[str, Any]]:
    """For each recommended change, the outcomes of similar past changes: same product, or a
    similar one (score ≥ `min_score`) on the same market."""
    hints: dict[tuple[Any, str], dict[str, Any]] = {}
    for rec in recs:
        if rec.get("new_price") is None:
            continue
        direction = "raise" if rec["new_price"] > rec["old_price"] else "cut"
        q = f"outcome: {rec['market']} {rec.get('title', '')} price {direction}"
        hits = await vectors.search_similar_memories(q, 5, agent_name="conductor", memory_types=[OUTCOME_TYPE])
        notes, stopped = [], False
        for h in hits:
            same = h.metadata.get("product_id") == str(rec["product_id"])
            if h.metadata.get("market") != rec["market"] or not (same or (h.score >= min_score and not same_product_only)):
                continue
            notes.append(h.content)
            stopped = stopped or (h.metadata.get("stopped_sales") and h.metadata.get("direction") == direction == "raise")
        if notes:
            hints[(rec["product_id"], rec["market"])] = {"notes": notes, "raise_stopped_sales": bool(stopped)}
    return hints


def recall_fn(vectors: Any, **kw: Any) -> Callable[[list[dict[str, Any]]], dict[tuple[Any, str], dict[str, Any]]]:
    """A synchronous recall for `Conductor.run(recall=...)`."""
    return lambda recs: asyncio.run(recall_hints(recs, vectors, **kw))
