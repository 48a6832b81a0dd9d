"""From listed products to market_prices rows: one search per normalised query (cached), the
matching rule, and lowest price / seller count / price band per product. No Dagster here."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dropship_core.evidence.matching import price_evidence, query_for
from dropship_core.evidence.naver_search import (SOURCE, NaverSearchError, NaverShopSearch,
                                                 SearchBudgetExhausted)


@dataclass
class EvidenceRun:
    rows: list[dict[str, Any]] = field(default_factory=list)
    searched: int = 0
    from_cache: int = 0
    skipped: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    budget_exhausted: bool = False


def product_terms(p: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(name, brand, model) of a store row: the supplier's name, and brand/model when known."""
    raw, ai = p.get("raw_data") or {}, p.get("ai_data") or {}
    name = str(raw.get("name") or ai.get("clean_name") or "")
    brand = raw.get("brand") or raw.get("maker") or raw.get("manufacturer") or ai.get("brand")
    model = raw.get("model") or raw.get("model_code")
    return name, (str(brand) if brand else None), (str(model) if model else None)


def market_price_rows(products: list[dict[str, Any]], client: NaverShopSearch, display: int = 100,
                      min_overlap: float = 0.85) -> EvidenceRun:
    """One market_prices row per product that could be searched; products are skipped (with a
    counted reason) when they have no name or the budget ran out. Errors stop nothing else."""
    out = EvidenceRun()
    for p in products:
        name, brand, model = product_terms(p)
        listing = p.get("listing") or {}
        if not name:
            out.skipped["no name"] += 1
            continue
        if out.budget_exhausted:
            out.skipped["daily search budget spent"] += 1
            continue
        q = query_for(name, brand, model)
        try:
            res = client.search(q, display=display, sort="sim")
        except SearchBudgetExhausted as e:
            out.budget_exhausted = True
            out.errors.append(str(e))
            out.skipped["daily search budget spent"] += 1
            continue
        except NaverSearchError as e:
            out.errors.append(f"{q}: HTTP {e.status} {e.code} {e.message} | {e.body[:300]}")
            out.skipped[f"search error {e.code or e.status}"] += 1
            continue
        out.searched += 1
        out.from_cache += int(res.from_cache)
        ev = price_evidence(name, res.items, brand, min_overlap)
        out.rows.append({
            "product_id": p["id"], "source": SOURCE, "query": q, "own_price": listing.get("price"),
            "matched": ev["matched"], "lowest_price": ev.get("lowest_price"), "median_price": ev.get("median_price"),
            "band_low": ev.get("band_low"), "band_high": ev.get("band_high"),
            "seller_count": ev.get("seller_count", 0), "observed_at": res.fetched_at,
            "evidence": {"items": ev.get("items", []), "refused": ev["refused"], "total": res.total}})
    return out
