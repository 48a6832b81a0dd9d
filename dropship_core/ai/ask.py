"""`dropship ask "..."`: answer the question asked, from the store rows and memory.

The question is parsed into market, supplier, product words and a measure (`ask_parse`: rules
offline, a tool call with an LLM). The numbers come from the store rows under the one pricing
policy (pricing.yaml) and every answer says how each number is defined, e.g. margins "after
fees" (the market's commission and absorbed shipping) where the analytics report shows margins
before fees. A question the data cannot answer gets that said, with what can be asked instead.
Every question and answer goes to conversation memory under the context id. No Dagster here.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from dropship_core.ai.agents import Guardrails, money, to_row
from dropship_core.ai.ask_parse import MEASURES, Parsed, parse_rules, parse_with_llm
from dropship_core.ai.conductor import Conductor, listing_rows_from_store
from dropship_core.ai.llm import LLMClient
from dropship_core.ai.memory import AgentChatMemory, MemoryBackends

AGENTS = ("insights", "pricing", "inventory", "promotion")
_AGENT_MEASURE = {"insights": "overview", "pricing": "price_recommendations", "inventory": "inventory",
                  "promotion": "promotion"}
_INTENT = {"price_recommendations": "pricing", "price": "pricing", "margin": "pricing", "losing_margin": "pricing",
           "inventory": "inventory", "promotion": "promotion", "overview": "insights", "count_products": "catalog"}
MARGIN_DEF = {"ko": "마진 = 판매가 − 마켓 수수료 − 원가 − 셀러 부담 배송비 (수수료 차감 후, pricing.yaml 기준)",
              "en": "margin = price − market commission − cost − shipping the seller absorbs (after fees, "
                    "per pricing.yaml)"}
REPORT_NOTE = {"ko": "분석 리포트의 마진은 수수료 차감 전 (판매가 − 원가) / 판매가 입니다.",
               "en": "The analytics report's margin is before fees: (price − cost) / price."}


@dataclass
class AskAnswer:
    text: str
    intent: str
    context_id: str
    agent: str
    provider: str
    facts: dict[str, Any] = field(default_factory=dict)
    memories_used: int = 0
    parsed: dict[str, Any] = field(default_factory=dict)
    answered: bool = True


def detect_intent(question: str, agent: str | None = None) -> str:
    if agent:
        a = {"price_recommendations": "pricing", "inventory_alerts": "inventory", "promotion_plans": "promotion",
             "market_insights": "insights"}.get(agent.lower(), agent.lower())
        if a not in AGENTS:
            raise ValueError(f"unknown agent {agent!r}; choose one of {AGENTS}")
        return a
    parsed = parse_rules(question, {})
    return _INTENT.get(parsed.measure or "", "overview") if parsed.measure != "count_products" else "catalog"


def lang_of(question: str) -> str:
    return "ko" if re.search(r"[가-힣]", question) else "en"


def _won(x: float | int | None) -> str:
    return "-" if x is None else f"{int(round(x)):,}원"


def suppliers_of(store_rows: list[dict[str, Any]]) -> dict[str, str]:
    return {s.get("supplier_key", ""): (s.get("raw_data") or {}).get("supplier_name", "") for s in store_rows
            if s.get("supplier_key")}


def listing_views(store_rows: list[dict[str, Any]], g: Guardrails, market: str | None = None,
                  supplier: str | None = None) -> list[dict[str, Any]]:
    """One view per product × market listing: price, cost, margin after fees, break-even price."""
    out = []
    for lr in listing_rows_from_store([s for s in store_rows if not supplier or s.get("supplier_key") == supplier]):
        if market and lr["market"] != market:
            continue
        r = to_row(lr)
        if r is None:
            continue
        m = money(r, g)
        mk = m.margin(r.price, r.cost)
        raw = lr["raw_data"]
        out.append({"product_id": r.product_id, "market": r.market, "supplier_key": r.supplier_key,
                    "seller_code": f"{r.supplier_key}:{raw.get('supplier_item_id', '')}", "name": raw.get("name", ""),
                    "price": r.price, "cost": r.cost, "stock": r.stock, "status": lr.get("status"),
                    "margin_krw": mk, "margin_rate": round(mk / r.price, 4), "break_even": m.floor,
                    "min_margin": g.policy.for_market(r.market).min_margin, "commission": m.commission})
    return out


def _matching_products(words: list[str], store_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def compute_facts(question: str, store_rows: list[dict[str, Any]], parsed: Parsed,
                  guardrails: Guardrails | None = None,
                  evidence: dict[str, dict[Any, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """`evidence`: market -> product id -> market_prices row (lowest comparable price, age)."""
    g = guardrails or Guardrails()
    rows = [s for s in store_rows if not parsed.supplier or s.get("supplier_key") == parsed.supplier]
    views = listing_views(rows, g, parsed.market)
    facts: dict[str, Any] = {"scope": {"market": parsed.market, "supplier": parsed.supplier},
                             "products": len(rows), "listings": len(views)}
    matches = _matching_products(parsed.product_words, rows)
    if matches:
        facts["products_asked"] = [{"id": s.get("id"), "name": (s.get("raw_data") or {}).get("name"),
                                    "cost": (s.get("raw_data") or {}).get("cost"),
                                    "markets": {v["market"]: v for v in listing_views([s], g, parsed.market)}}
                                   for s in matches]
    measure = parsed.measure
    if measure == "count_products":
        listed = {v["product_id"] for v in views}
        facts["count"] = {"products": len(rows), "listed": len(listed),
                          "by_status": {st: sum(1 for s in rows if (s.get("status") or "active") == st)
                                        for st in sorted({s.get("status") or "active" for s in rows})}}
    elif measure == "losing_margin":
        losing = sorted((v for v in views if v["margin_rate"] < v["min_margin"]), key=lambda v: v["margin_rate"])
        facts["losing_margin"] = {"total": len(losing), "negative": sum(1 for v in losing if v["margin_krw"] < 0),
                                  "examples": losing[:10], "checked": len(views)}
        if evidence is not None:
            under = []
            for v in views:
                ev = (evidence.get(v["market"]) or {}).get(v["product_id"])
                if ev and ev.get("lowest_price") and v["break_even"] and ev["lowest_price"] < v["break_even"]:
                    under.append({**v, "market_lowest": ev["lowest_price"], "sellers": ev.get("seller_count")})
            under.sort(key=lambda v: v["market_lowest"] / v["break_even"])
            facts["market_below_break_even"] = {"total": len(under), "examples": under[:10]}
    elif measure in ("margin", "overview", None) and views:
        facts["margin_after_fees"] = {"avg_rate": round(sum(v["margin_rate"] for v in views) / len(views), 4),
                                      "avg_krw": round(sum(v["margin_krw"] for v in views) / len(views))}
    if measure in ("price_recommendations", "inventory", "promotion", "overview", "price"):
        result = Conductor(g, approval_mode="manual").run(
            [lr for lr in listing_rows_from_store(rows) if not parsed.market or lr["market"] == parsed.market])
        facts["price_recommendations_total"] = len(result.price_recommendations)
        facts["price_recommendations"] = result.price_recommendations[:10]
        facts["inventory_alerts_total"] = len(result.inventory_alerts)
        facts["inventory_alerts"] = result.inventory_alerts[:10]
        facts["to_pause"] = sum(1 for a in result.inventory_alerts if a["action"] == "pause")
        facts["promotion_plans"] = result.promotion_plans
        facts["by_market"] = {m: {"listings": v["listings"], "active": v["active"], "price_median": v["price_median"],
                                  "margin_rate_avg_after_fees": v["margin_rate_avg_after_fees"]}
                              for m, v in result.market_insights.items()}
    return facts


def _scope(p: Parsed, lang: str) -> str:
    parts = [x for x in (p.supplier, p.market) if x]
    if not parts:
        return "전체" if lang == "ko" else "all suppliers and markets"
    return " / ".join(parts)


def _cannot(parsed: Parsed, lang: str, known_suppliers: list[str]) -> str:
    if parsed.unknown_supplier:
        if lang == "ko":
            return (f"'{parsed.unknown_supplier}' 공급사는 스토어에 없습니다. 있는 공급사: "
                    f"{', '.join(known_suppliers) or '-'}.")
        return (f"There is no supplier '{parsed.unknown_supplier}' in the store. Known suppliers: "
                f"{', '.join(known_suppliers) or '-'}.")
    can = ", ".join(m for m, _ in MEASURES)
    if lang == "ko":
        return f"이 질문에는 스토어 데이터로 답할 수 없습니다. 답할 수 있는 것: {can} (마켓·공급사·상품별)."
    return f"I cannot answer that from the store. I can answer: {can} (by market, supplier or product)."


def _answer_count(f: dict[str, Any], p: Parsed, lang: str) -> list[str]:
    c = f["count"]
    st = ", ".join(f"{k} {v}" for k, v in c["by_status"].items())
    if lang == "ko":
        return [f"{_scope(p, lang)}: 상품 {c['products']:,}개 (스토어에 있는, 삭제되지 않은 상품; {st}), "
                f"그중 마켓에 리스팅된 상품 {c['listed']:,}개."]
    return [f"{_scope(p, lang)}: {c['products']:,} products (in the store, not deleted; {st}); "
            f"{c['listed']:,} of them have a listing{' on ' + p.market if p.market else ''}."]


def _answer_losing(f: dict[str, Any], p: Parsed, lang: str) -> list[str]:
    lm = f["losing_margin"]
    lines = []
    if lang == "ko":
        lines.append(f"{_scope(p, lang)}: 리스팅 {lm['checked']:,}건 중 {lm['total']:,}건이 최소 마진 미만 "
                     f"(그중 {lm['negative']:,}건은 적자).")
    else:
        lines.append(f"{_scope(p, lang)}: {lm['total']:,} of {lm['checked']:,} listings are below the minimum "
                     f"margin of the pricing policy ({lm['negative']:,} of them sell at a loss).")
    for v in lm["examples"][:5]:
        lines.append(f"- {v['name']} ({v['seller_code']}, {v['market']}): {_won(v['price'])}, "
                     f"{'마진' if lang == 'ko' else 'margin'} {_won(v['margin_krw'])} ({v['margin_rate'] * 100:.1f}%), "
                     f"{'손익분기' if lang == 'ko' else 'break-even'} {_won(v['break_even'])}")
    mb = f.get("market_below_break_even")
    if mb is not None:
        lines.append(f"{mb['total']:,}건은 시장 최저가가 손익분기 가격보다 낮아, 맞추면 마진을 잃습니다 (market_prices 기준)."
                     if lang == "ko" else
                     f"{mb['total']:,} listings face a cheapest comparable market price below their break-even "
                     f"price: matching it would lose margin (from market_prices).")
        for v in mb["examples"][:5]:
            lines.append(f"- {v['name']} ({v['seller_code']}, {v['market']}): {_won(v['price'])}, "
                         f"{'시장 최저' if lang == 'ko' else 'market lowest'} {_won(v['market_lowest'])}, "
                         f"{'손익분기' if lang == 'ko' else 'break-even'} {_won(v['break_even'])}")
    lines.append(MARGIN_DEF[lang])
    return lines


def _answer_margin(f: dict[str, Any], p: Parsed, lang: str) -> list[str]:
    m = f.get("margin_after_fees")
    if not m:
        return []
    head = (f"{_scope(p, lang)}: 평균 마진 {m['avg_rate'] * 100:.1f}% ({_won(m['avg_krw'])}/건, 리스팅 {f['listings']:,}건)"
            if lang == "ko" else
            f"{_scope(p, lang)}: average margin {m['avg_rate'] * 100:.1f}% ({_won(m['avg_krw'])} a listing, "
            f"{f['listings']:,} listings)")
    return [head, MARGIN_DEF[lang], REPORT_NOTE[lang]]


def _answer_agents(f: dict[str, Any], measure: str | None) -> list[str]:
    lines: list[str] = []
    if measure in ("price_recommendations", "price"):
        lines.append(f"가격 조정 제안 {f['price_recommendations_total']}건 (지금 리스팅 기준 계산, 시장 근거 없이).")
        for r in f["price_recommendations"][:5]:
            lines.append(f"- #{r['product_id']} {r['market']}: {_won(r['old_price'])} → {_won(r.get('new_price'))}: "
                         f"{'; '.join(r['reasons'])}")
    elif measure == "inventory":
        lines.append(f"재고 알림 {f['inventory_alerts_total']}건, 판매 중지 권고 {f['to_pause']}건.")
        for a in f["inventory_alerts"][:5]:
            lines.append(f"- #{a['product_id']} {a['market']}: {a['reason']} → {a['action']}")
    elif measure == "promotion":
        pp = f["promotion_plans"]
        lines.append(f"프로모션 후보 {len(pp['plans'])}건, 예산 {_won(pp['budget_krw'])} 중 {_won(pp['planned_krw'])} 사용.")
    if measure == "overview" or not lines:
        lines.append(f"상품 {f['products']:,}개, 마켓 리스팅 {f['listings']:,}건.")
        for m, v in (f.get("by_market") or {}).items():
            lines.append(f"- {m}: {v['listings']}건 (판매 가능 {v['active']}), 중간 가격 {_won(v['price_median'])}, "
                         f"평균 마진율 {v['margin_rate_avg_after_fees'] * 100:.1f}% (수수료 차감 후)")
    return lines


def rules_answer(question: str, parsed: Parsed, facts: dict[str, Any], known_suppliers: list[str],
                 memory_note: str | None = None) -> tuple[str, bool]:
    lang = lang_of(question)
    if parsed.unknown_supplier or (parsed.measure is None and not facts.get("products_asked")):
        return _cannot(parsed, lang, known_suppliers), False
    lines: list[str] = []
    for p in facts.get("products_asked", []):
        parts = [f"{m} {_won(v['price'])} (재고 {v['stock'] if v['stock'] is not None else '-'}, "
                 f"마진 {_won(v['margin_krw'])} / {v['margin_rate'] * 100:.1f}%)" for m, v in p["markets"].items()]
        lines.append(f"{p['name']} (#{p['id']}, 원가 {_won(p['cost'])}): " + ("; ".join(parts) or "등록된 마켓 없음"))
    if parsed.measure == "count_products":
        lines += _answer_count(facts, parsed, lang)
    elif parsed.measure == "losing_margin":
        lines += _answer_losing(facts, parsed, lang)
    elif parsed.measure == "margin":
        lines += _answer_margin(facts, parsed, lang) if not facts.get("products_asked") else [MARGIN_DEF[lang]]
    elif parsed.measure is not None and not (parsed.measure == "price" and facts.get("products_asked")):
        lines += _answer_agents(facts, parsed.measure)
    if memory_note:
        lines.append(f"(이전 대화: {memory_note})")
    return "\n".join(lines), True


async def aanswer(question: str, store_rows: list[dict[str, Any]], memory: MemoryBackends,
                  context_id: str = "default", agent: str | None = None, client: LLMClient | None = None,
                  guardrails: Guardrails | None = None, supplier_names: dict[str, str] | None = None,
                  evidence: dict[str, dict[Any, dict[str, Any]]] | None = None) -> AskAnswer:
    """`supplier_names`: supplier key -> display name (suppliers.yaml), so "다온리빙" finds excel-daon.
    `evidence`: market -> product id -> market_prices row, when the store has them."""
    suppliers = {**suppliers_of(store_rows), **{k: v for k, v in (supplier_names or {}).items() if v}}
    parsed = None
    if client is not None and client.provider != "offline":
        parsed = parse_with_llm(client, question, suppliers)
    parsed = parsed or parse_rules(question, suppliers)
    if agent:
        parsed.measure = _AGENT_MEASURE[detect_intent(question, agent)]
    intent = _INTENT.get(parsed.measure or "", "overview")
    agent_name = agent or f"ask:{intent}"
    chat = AgentChatMemory(agent_name, context_id, memory)
    recalled = await chat.get_relevant_context(question, include_summary=True, k=3)
    facts = compute_facts(question, store_rows, parsed, guardrails, evidence)
    similar = [h for h in recalled["similar_memories"] if h.score > 0.3]
    note = similar[0].content.replace("\n", " ")[:160] if similar else None
    text, answered = rules_answer(question, parsed, facts, sorted(suppliers), note)
    provider = parsed.parser if parsed.parser == "rules" else client.provider
    await chat.add_interaction(question, text, metadata={"intent": intent, "measure": parsed.measure,
                                                         "market": parsed.market, "supplier": parsed.supplier,
                                                         "answered": answered})
    return AskAnswer(text, intent, context_id, agent_name, "offline" if provider == "rules" else provider, facts,
                     len(similar), parsed.as_dict(), answered)


def answer(question: str, store_rows: list[dict[str, Any]], memory: MemoryBackends, context_id: str = "default",
           agent: str | None = None, client: LLMClient | None = None,
           guardrails: Guardrails | None = None, supplier_names: dict[str, str] | None = None,
           evidence: dict[str, dict[Any, dict[str, Any]]] | None = None) -> AskAnswer:
    """Synchronous entry point (the CLI); see `aanswer`."""
    return asyncio.run(aanswer(question, store_rows, memory, context_id, agent, client, guardrails, supplier_names,
                               evidence))
