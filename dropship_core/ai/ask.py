"""`dropship ask "..."`: answer a question about the catalog from the store rows and memory.

Offline (the default) the answer is rules-based and cites the numbers it was computed from; with
an LLM provider configured, the model writes the answer from the same facts (and the rules-based
answer is the fallback if the call fails). Every question and answer is added to conversation
memory under the context id, so follow-up questions and other agents can recall it.
No Dagster here.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

from dropship_core.ai.agents import Conductor, Guardrails, listing_rows_from_store, to_row
from dropship_core.ai.llm import LLMClient
from dropship_core.ai.memory import AgentChatMemory, MemoryBackends

AGENTS = ("insights", "pricing", "inventory", "promotion")
_INTENTS = {
    "pricing": ("price", "pricing", "margin", "가격", "마진", "인상", "인하", "얼마"),
    "inventory": ("stock", "inventory", "sold out", "재고", "품절", "입고"),
    "promotion": ("promotion", "promo", "discount", "coupon", "할인", "쿠폰", "프로모션", "행사"),
    "insights": ("market", "category", "insight", "시장", "카테고리", "분석", "현황"),
}
ASK_SYSTEM = ("You answer a Korean online seller's questions about their catalog. Use only the facts given; "
              "cite the numbers (KRW, counts, percentages); be brief; answer in the question's language.")


@dataclass
class AskAnswer:
    text: str
    intent: str
    context_id: str
    agent: str
    provider: str
    facts: dict[str, Any] = field(default_factory=dict)
    memories_used: int = 0


def detect_intent(question: str, agent: str | None = None) -> str:
    if agent:
        a = agent.lower()
        aliases = {"price_recommendations": "pricing", "inventory_alerts": "inventory",
                   "promotion_plans": "promotion", "market_insights": "insights"}
        a = aliases.get(a, a)
        if a not in AGENTS:
            raise ValueError(f"unknown agent {agent!r}; choose one of {AGENTS}")
        return a
    q = question.lower()
    scores = {k: sum(q.count(w) for w in words) for k, words in _INTENTS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "overview"


def _won(x: float | int | None) -> str:
    return "-" if x is None else f"{int(round(x)):,}원"


def _matching_products(question: str, store_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    words = {w for w in re.findall(r"[\w가-힣]{2,}", question.lower())}
    generic = {w for ws in _INTENTS.values() for w in ws} | {"what", "how", "which", "상품", "제품"}
    words -= generic
    if not words:
        return []
    scored = []
    for s in store_rows:
        raw = s.get("raw_data") or {}
        name = ((s.get("ai_data") or {}).get("clean_name") or raw.get("name") or "").lower()
        ident = str(raw.get("supplier_item_id") or s.get("supplier_item_id") or "").lower()
        hit = sum(1 for w in words if w in name or w == ident)
        if hit:
            scored.append((hit, s))
    scored.sort(key=lambda t: -t[0])
    top = scored[0][0] if scored else 0
    return [s for h, s in scored if h == top][:5]


def compute_facts(question: str, store_rows: list[dict[str, Any]], intent: str,
                  guardrails: Guardrails | None = None) -> dict[str, Any]:
    rows = listing_rows_from_store(store_rows)
    result = Conductor(guardrails, approval_mode="manual").run(rows)
    facts: dict[str, Any] = {
        "products": len(store_rows),
        "listings": len(rows),
        "by_market": {m: {"listings": v["listings"], "active": v["active"], "price_median": v["price_median"],
                          "margin_rate_avg": v["margin_rate_avg"]} for m, v in result.market_insights.items()},
    }
    matches = _matching_products(question, store_rows)
    if matches:
        g = guardrails or Guardrails()
        facts["products_asked"] = []
        for s in matches:
            raw = s.get("raw_data") or {}
            per_market = {}
            for lr in listing_rows_from_store([s]):
                r = to_row(lr)
                if r is None:
                    continue
                net = r.price * (1 - g.commission(r.market)) - r.cost - r.shipping_cost
                per_market[r.market] = {"price": r.price, "stock": r.stock, "margin_krw": int(net),
                                        "margin_rate": round(net / r.price, 4), "status": lr.get("status")}
            facts["products_asked"].append({"id": s.get("id"), "name": raw.get("name"), "cost": raw.get("cost"),
                                            "markets": per_market})
    if intent == "pricing":
        facts["price_recommendations"] = result.price_recommendations[:10]
        facts["price_recommendations_total"] = len(result.price_recommendations)
    elif intent == "inventory":
        facts["inventory_alerts"] = result.inventory_alerts[:10]
        facts["inventory_alerts_total"] = len(result.inventory_alerts)
        facts["to_pause"] = sum(1 for a in result.inventory_alerts if a["action"] == "pause")
    elif intent == "promotion":
        facts["promotion_plans"] = result.promotion_plans
    elif intent == "insights":
        facts["market_insights"] = result.market_insights
    return facts


def rules_answer(question: str, intent: str, facts: dict[str, Any], memory_note: str | None = None) -> str:
    lines: list[str] = []
    for p in facts.get("products_asked", []):
        parts = [f"{m} {_won(v['price'])} (재고 {v['stock'] if v['stock'] is not None else '-'}, "
                 f"마진 {_won(v['margin_krw'])} / {v['margin_rate'] * 100:.1f}%)" for m, v in p["markets"].items()]
        lines.append(f"{p['name']} (#{p['id']}, 원가 {_won(p['cost'])}): " + ("; ".join(parts) or "등록된 마켓 없음"))
    if intent == "pricing":
        recs = facts["price_recommendations"]
        lines.append(f"가격 조정 제안 {facts['price_recommendations_total']}건.")
        for r in recs[:5]:
            if r["new_price"] is None:
                lines.append(f"- #{r['product_id']} {r['market']}: {_won(r['old_price'])}, 하한가 {_won(r['floor_price'])} "
                             f"미만 — 검토 필요")
            else:
                lines.append(f"- #{r['product_id']} {r['market']}: {_won(r['old_price'])} → {_won(r['new_price'])} "
                             f"({r['change_pct']:+.1f}%, {r['status']}): {'; '.join(r['reasons'])}")
    elif intent == "inventory":
        lines.append(f"재고 알림 {facts['inventory_alerts_total']}건, 판매 중지 권고 {facts['to_pause']}건.")
        for a in facts["inventory_alerts"][:5]:
            lines.append(f"- #{a['product_id']} {a['market']}: {a['reason']} → {a['action']}")
    elif intent == "promotion":
        pp = facts["promotion_plans"]
        lines.append(f"프로모션 후보 {len(pp['plans'])}건, 예산 {_won(pp['budget_krw'])} 중 {_won(pp['planned_krw'])} 사용.")
        for p in pp["plans"][:5]:
            lines.append(f"- #{p['product_id']} {p['market']}: {p['type']} {p['discount_pct']}% "
                         f"({_won(p['price'])} → {_won(p['promo_price'])}, 예상 {p['expected_units']}개)")
    if intent in ("insights", "overview") or not lines:
        lines.append(f"상품 {facts['products']:,}개, 마켓 리스팅 {facts['listings']:,}건.")
        for m, v in facts["by_market"].items():
            lines.append(f"- {m}: {v['listings']}건 (판매 가능 {v['active']}), 중간 가격 {_won(v['price_median'])}, "
                         f"평균 마진율 {v['margin_rate_avg'] * 100:.1f}%")
        if intent == "insights":
            for m, v in facts.get("market_insights", {}).items():
                if v["category_gaps"]:
                    lines.append(f"- {m}에 없는 카테고리: {', '.join(v['category_gaps'][:5])}")
    if memory_note:
        lines.append(f"(이전 대화: {memory_note})")
    return "\n".join(lines)


async def aanswer(question: str, store_rows: list[dict[str, Any]], memory: MemoryBackends,
                  context_id: str = "default", agent: str | None = None, client: LLMClient | None = None,
                  guardrails: Guardrails | None = None) -> AskAnswer:
    intent = detect_intent(question, agent)
    agent_name = agent or f"ask:{intent}"
    chat = AgentChatMemory(agent_name, context_id, memory)
    recalled = await chat.get_relevant_context(question, include_summary=True, k=3)
    facts = compute_facts(question, store_rows, intent, guardrails)
    similar = [h for h in recalled["similar_memories"] if h.score > 0.3]
    memory_note = similar[0].content.replace("\n", " ")[:160] if similar else None
    text = rules_answer(question, intent, facts, memory_note)
    provider = "offline"
    if client is not None and client.provider != "offline":
        history = "\n".join(f"{m.role}: {m.content}" for m in recalled["recent_messages"][-6:])
        summary = recalled["summary"].summary if recalled["summary"] else ""
        prompt = json.dumps({"question": question, "facts": facts, "conversation_summary": summary,
                             "recent_conversation": history,
                             "related_memories": [h.content for h in similar[:3]]}, ensure_ascii=False, default=str)
        res = client.complete_text(ASK_SYSTEM, prompt)
        if res.ok and res.text.strip():
            text, provider = res.text.strip(), client.provider
    await chat.add_interaction(question, text, metadata={"intent": intent, "provider": provider,
                                                         "products": facts["products"]})
    return AskAnswer(text, intent, context_id, agent_name, provider, facts, len(similar))


def answer(question: str, store_rows: list[dict[str, Any]], memory: MemoryBackends, context_id: str = "default",
           agent: str | None = None, client: LLMClient | None = None,
           guardrails: Guardrails | None = None) -> AskAnswer:
    """Synchronous entry point (the CLI); see `aanswer`."""
    return asyncio.run(aanswer(question, store_rows, memory, context_id, agent, client, guardrails))
