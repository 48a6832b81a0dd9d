"""What a question asks: market, supplier, product words and the measure.

Offline the rules below decide; with an LLM the model fills the same four fields through a tool
call (a JSON schema), checked against the markets and suppliers that exist, and the rules stand
in when the call fails. No Dagster here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

MARKET_ALIASES = {
    "smartstore": ("smartstore", "smart store", "스마트스토어", "naver", "네이버"),
    "coupang": ("coupang", "쿠팡"),
    "gmarket": ("gmarket", "g마켓", "지마켓", "esm", "auction", "옥션"),
}
# the measure, in the order the rules try them (first match wins)
MEASURES: list[tuple[str, tuple[str, ...]]] = [
    ("losing_margin", ("losing margin", "lose margin", "losing money", "below break-even", "below break even",
                       "negative margin", "역마진", "마진 손실", "마진이 안", "손해", "밑지", "손실")),
    ("count_products", ("how many product", "how many item", "number of product", "count of product",
                        "상품 수", "상품수", "몇 개", "몇개", "몇 종", "how many")),
    ("price_recommendations", ("price recommendation", "price suggestion", "recommend", "가격 제안", "가격 조정",
                               "가격 추천", "올릴까", "내릴까")),
    ("inventory", ("stock", "inventory", "sold out", "재고", "품절", "입고")),
    ("promotion", ("promotion", "promo", "discount", "coupon", "할인", "쿠폰", "프로모션", "행사")),
    ("margin", ("margin", "마진", "이익", "수익률")),
    ("price", ("price", "가격", "얼마")),
    ("overview", ("market", "category", "insight", "overview", "시장", "카테고리", "분석", "현황")),
]
GENERIC = {"what", "which", "how", "many", "much", "does", "have", "has", "the", "are", "is", "on", "in", "of",
           "products", "product", "items", "item", "for", "with", "and", "my", "our", "me", "show", "list",
           "상품", "제품", "상품은", "상품이", "알려줘", "보여줘", "있어", "있나요", "뭐야", "어떤", "얼마나",
           "losing", "margin", "margins", "money", "price", "prices", "stock", "마진", "가격", "재고", "다시"}


@dataclass
class Parsed:
    measure: str | None
    market: str | None = None
    supplier: str | None = None
    unknown_supplier: str | None = None
    product_words: list[str] = field(default_factory=list)
    parser: str = "rules"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_market(q: str) -> str | None:
    ql = q.lower()
    for m, names in MARKET_ALIASES.items():
        if any(n in ql for n in names):
            return m
    return None


def find_supplier(q: str, suppliers: dict[str, str]) -> tuple[str | None, str | None]:
    """(supplier key, None), or (None, the supplier-like word that matches none). `suppliers`:
    key -> display name."""
    ql = q.lower()
    for key in sorted(suppliers, key=len, reverse=True):
        name = (suppliers[key] or "").lower()
        short = key.split("-", 1)[-1]
        if key in ql or (name and name in ql) or re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", ql):
            return key, None
    m = re.search(r"(?<![\w-])((?:excel|ownerclan|domeggook|webhook)-[\w.-]+)", ql)
    return None, (m.group(1) if m else None)


def find_measure(q: str) -> str | None:
    ql = q.lower()
    for measure, words in MEASURES:
        if any(w in ql for w in words):
            return measure
    return None


def parse_rules(question: str, suppliers: dict[str, str]) -> Parsed:
    supplier, unknown = find_supplier(question, suppliers)
    market = find_market(question)
    words = [w for w in re.findall(r"[\w가-힣]{2,}", question.lower()) if w not in GENERIC]
    drop = set()
    for names in MARKET_ALIASES.values():
        drop.update(names)
    if supplier:
        drop.update({supplier, *supplier.split("-"), (suppliers.get(supplier) or "").lower()})
    for _, ws in MEASURES:
        drop.update(ws)
    return Parsed(find_measure(question), market, supplier, unknown, [w for w in words if w not in drop])


ASK_SCHEMA_NAME = "ask_query"
ASK_PARSE_SYSTEM = ("Extract what a Korean online seller's question asks about their catalog. measure: one of "
                    "{measures}. market: one of {markets} or null. supplier: one of {suppliers} or null. product: "
                    "the product words of the question or null. Use null when the question does not say.")


def parse_with_llm(client: Any, question: str, suppliers: dict[str, str]) -> Parsed | None:
    """The same fields through the LLM's tool call; None when the call or its check fails."""
    measures = [m for m, _ in MEASURES]
    schema = {"type": "object", "additionalProperties": False, "required": ["measure", "market", "supplier", "product"],
              "properties": {"measure": {"type": ["string", "null"], "enum": [*measures, None]},
                             "market": {"type": ["string", "null"], "enum": [*MARKET_ALIASES, None]},
                             "supplier": {"type": ["string", "null"]},
                             "product": {"type": ["string", "null"]}}}

    def check(obj: dict[str, Any]) -> str | None:
        if obj.get("supplier") and obj["supplier"] not in suppliers:
            return f"supplier must be one of {sorted(suppliers)} or null"
        return None

    system = ASK_PARSE_SYSTEM.format(measures=measures, markets=list(MARKET_ALIASES), suppliers=sorted(suppliers))
    try:
        res = client.complete_json(system, question, schema, schema_name=ASK_SCHEMA_NAME, check=check)
    except Exception:  # SpendCapReached or a defect: the rules answer
        return None
    if not res.ok:
        return None
    d = res.data
    words = re.findall(r"[\w가-힣]{2,}", (d.get("product") or "").lower())
    return Parsed(d.get("measure"), d.get("market"), d.get("supplier"), None, words, parser="llm")
