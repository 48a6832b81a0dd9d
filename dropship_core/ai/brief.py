"""The daily brief per market, in Korean, written by the configured LLM from the numbers of the
conductor's run and checked against them: a brief quoting a number that is not among the facts
is refused (nothing stored). No Dagster here."""

from __future__ import annotations

import json
import re
from typing import Any

from dropship_core.ai.conductor import ConductorResult

BRIEF_SYSTEM = (
    "당신은 한국 온라인 셀러의 운영 보조입니다. 주어진 JSON 사실(facts)만 사용해 오늘의 마켓 브리핑을 한국어로 "
    "3~5문장으로 쓰세요. 숫자는 facts에 있는 값 그대로만 쓰고, 새 숫자를 만들거나 계산하지 마세요. "
    "마진은 '수수료 차감 후' 기준임을 밝히세요.")
_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?")


def brief_facts(market: str, result: ConductorResult) -> dict[str, Any]:
    ins = result.market_insights.get(market, {})
    recs = result.price_recommendations
    pos = ins.get("market_position", {})
    return {
        "market": market,
        "listings": ins.get("listings", 0),
        "active": ins.get("active", 0),
        "median_price_krw": ins.get("price_median"),
        "margin_after_fees_pct": round((ins.get("margin_rate_avg_after_fees") or 0) * 100, 1),
        "compared_with_market": pos.get("compared", 0),
        "cheapest_on_market": pos.get("cheapest", 0),
        "above_market": pos.get("above", 0),
        "price_changes_proposed": len(recs),
        "price_cuts": sum(1 for r in recs if r.get("new_price") and r["new_price"] < r["old_price"]),
        "price_raises": sum(1 for r in recs if r.get("new_price") and r["new_price"] > r["old_price"]),
        "pause_alerts": sum(1 for a in result.inventory_alerts if a["action"] == "pause"),
        "stockout_risks": sum(1 for a in result.inventory_alerts if a["action"] == "restock_or_raise"),
        "held_back_by_memory": len(result.held_back),
        "promotion_plans": len(result.promotion_plans.get("plans", [])),
    }


def _allowed_numbers(facts: Any) -> set[str]:
    out: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            f = float(v)
            out.update({str(v), f"{f:g}", f"{int(round(f)):,}", str(int(round(f)))})
            if f != int(f):
                out.add(f"{f:.1f}")
    walk(facts)
    return out


def ungrounded_numbers(text: str, facts: dict[str, Any]) -> list[str]:
    allowed = _allowed_numbers(facts)
    found = [n.rstrip(".,") for n in _NUM.findall(text)]
    return [n for n in found if n not in allowed and n.replace(",", "") not in allowed]


def write_brief(client: Any, facts: dict[str, Any]) -> tuple[str | None, str | None]:
    """(text, None) or (None, why not)."""
    res = client.complete_text(BRIEF_SYSTEM, json.dumps({"facts": facts}, ensure_ascii=False))
    if not res.ok or not res.text.strip():
        return None, res.error or "empty answer"
    bad = ungrounded_numbers(res.text, facts)
    if bad:
        return None, f"the brief quotes numbers not among the facts: {', '.join(bad[:5])}"
    return res.text.strip(), None
