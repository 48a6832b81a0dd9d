"""Is a search item the same product as ours? A rule that would rather refuse than guess.

1. Query with brand + model code when the product has one, else the cleaned name (promo text in
   [...] / (...), units and counts dropped).
2. Compare on the `<b>`-stripped, unescaped title.
3. A model code in our name must appear exactly in the item's title; brand/maker must agree when
   both sides have one; accessories, bundles, different counts or sizes are refused.
4. Only new, on-sale items with a price (productType 1..3, lprice > 0) count, and the share of
   our name's words found in the title (token-set ratio) must reach `min_overlap`: 0.85 by
   default, since names that differ in one word of six (often the brand) are other products.

`price_evidence(...)` turns the accepted items into lowest price, seller count and price band.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass
from typing import Any

from dropship_core.evidence.naver_search import SearchItem

_PROMO = re.compile(r"\[[^\]]*\]|\([^)]*\)|【[^】]*】")
_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(ml|l|g|kg|cm|mm|m|mah|w|인치|리터)(?![a-z])", re.IGNORECASE)
_COUNT = re.compile(r"(\d+)\s*(개입|개|매|장|팩|세트|ea|p|pcs|구)(?![a-z가-힣])|[x×]\s*(\d+)(?![a-z])", re.IGNORECASE)
_BUNDLE = re.compile(r"1\s*\+\s*1|2\s*\+\s*1|묶음|대용량\s*세트")
_MODEL = re.compile(r"(?<![a-z0-9])(?=[a-z0-9-]*\d)(?=[a-z0-9-]*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*(?![a-z0-9])")
_WORD = re.compile(r"[0-9a-z가-힣]+")
ACCESSORY_WORDS = ("케이스", "커버", "필름", "보호필름", "거치대", "리필", "부품", "교체용", "호환", "스티커", "파우치",
                   "전용", "액세서리", "악세사리", "스트랩", "충전독")
UNIT_SCALE = {"ml": ("vol", 1), "l": ("vol", 1000), "리터": ("vol", 1000), "g": ("mass", 1), "kg": ("mass", 1000),
              "mm": ("len", 1), "cm": ("len", 10), "m": ("len", 1000), "인치": ("len", 25.4), "mah": ("mah", 1),
              "w": ("watt", 1)}


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s or "").lower()


PROMO_WORDS = ("최저가", "특가", "무료배송", "당일발송", "당일출고", "정품", "신상", "인기", "초특가", "best", "hot")


def clean_name(name: str) -> str:
    s = _PROMO.sub(" ", _norm(name))
    s = " ".join(w for w in s.split() if w not in PROMO_WORDS)
    s = _UNIT.sub(" ", s)
    s = _COUNT.sub(" ", s)
    return " ".join(s.split())


def model_codes(text: str) -> set[str]:
    """Model-like tokens (letters and digits, ≥4 chars, not a unit or count): 'fan-200' -> 'fan200'."""
    s = _UNIT.sub(" ", _COUNT.sub(" ", _norm(text)))
    return {m.replace("-", "") for m in _MODEL.findall(s) if len(m.replace("-", "")) >= 4}


def sizes(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for num, unit in _UNIT.findall(_norm(text)):
        dim, scale = UNIT_SCALE[unit.lower()]
        out.setdefault(dim, float(num) * scale)
    return out


def counts(text: str) -> set[int]:
    out = set()
    for a, _unit, b in _COUNT.findall(_norm(text)):
        n = int(a or b)
        if n > 1:
            out.add(n)
    if _BUNDLE.search(_norm(text)):
        out.add(-1)
    return out


def query_for(name: str, brand: str | None = None, model: str | None = None) -> str:
    """What to search for one of our products."""
    if model:
        return " ".join(x for x in (brand or "", model) if x).strip()
    codes = sorted(model_codes(name))
    base = clean_name(name)
    if brand and _norm(brand) not in base:
        base = f"{_norm(brand)} {base}"
    return base if not codes or any(c in base.replace("-", "") for c in codes) else f"{base} {codes[0]}"


@dataclass
class Match:
    ok: bool
    score: float
    reason: str


def match(name: str, item: SearchItem, brand: str | None = None, min_overlap: float = 0.85) -> Match:
    """Accept `item` as the same product as ours (name, brand) or say why not."""
    if item.lprice is None:
        return Match(False, 0.0, "no price")
    if not item.is_new_on_sale:
        return Match(False, 0.0, f"productType {item.product_type} (used, discontinued or not yet on sale)")
    ours, theirs = _norm(name), _norm(item.title)
    for w in ACCESSORY_WORDS:
        if w in theirs and w not in ours:
            return Match(False, 0.0, f"accessory ({w})")
    if counts(ours) != counts(theirs):
        return Match(False, 0.0, "quantity or bundle differs")
    s_ours, s_theirs = sizes(ours), sizes(theirs)
    for dim in s_ours.keys() & s_theirs.keys():
        if abs(s_ours[dim] - s_theirs[dim]) > 1e-6:
            return Match(False, 0.0, f"size differs ({dim})")
    codes = model_codes(ours)
    if codes and not codes & model_codes(theirs):
        return Match(False, 0.0, "model code not in the title")
    if brand:
        b = _norm(brand)
        other = {x for x in (_norm(item.brand), _norm(item.maker)) if x}
        if other and b not in other and b not in theirs:
            return Match(False, 0.0, "brand differs")
    mine = set(_WORD.findall(clean_name(name)))
    overlap = len(mine & set(_WORD.findall(clean_name(item.title)))) / max(1, len(mine))
    need = min(min_overlap, 0.3) if codes else min_overlap
    if overlap < need:
        return Match(False, overlap, f"weak match ({overlap:.2f} < {need:.2f} of our words)")
    return Match(True, overlap + (0.5 if codes else 0.0) + (0.2 if item.catalog_backed else 0.0), "match")


def price_evidence(name: str, items: list[SearchItem], brand: str | None = None,
                   min_overlap: float = 0.85) -> dict[str, Any]:
    """Lowest price, seller count and band among the accepted items, plus what was refused and why."""
    accepted: list[SearchItem] = []
    refused: dict[str, int] = {}
    for it in items:
        m = match(name, it, brand, min_overlap)
        if m.ok:
            accepted.append(it)
        else:
            key = m.reason.split(" (")[0]
            refused[key] = refused.get(key, 0) + 1
    out: dict[str, Any] = {"matched": len(accepted), "refused": refused}
    if not accepted:
        return out
    lows = sorted(it.lprice for it in accepted if it.lprice)
    highs = [it.hprice or it.lprice for it in accepted]
    out.update(lowest_price=lows[0], median_price=int(statistics.median(lows)),
               band_low=lows[0], band_high=int(max(highs)),
               seller_count=len({it.mall_name for it in accepted}),
               items=[{"title": it.title, "lprice": it.lprice, "mall": it.mall_name, "productId": it.product_id,
                       "productType": it.product_type} for it in sorted(accepted, key=lambda i: i.lprice or 0)[:5]])
    return out
