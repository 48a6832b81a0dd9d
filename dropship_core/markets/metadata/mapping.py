"""SmartStore leaf -> Coupang display category and ESM site category, from the metadata.

Order per product and market:

1. the seller's override file (`category_overrides.yaml`, longest SmartStore path prefix);
2. Coupang: the classifier's candidate when the Coupang tree holds it (it scored the whole
   Coupang tree with the product's own words and the SmartStore leaf's);
3. names and paths: the market leaf named like the SmartStore leaf (or its nearest named
   ancestor), the candidate sharing most ancestor names winning: how the same category is
   found in trees with other codes; then, ESM only, the branch `esm_category_map.yaml` names
   for the SmartStore branch (names, no codes);
4. Coupang only: automatic category matching when the vendor agreed to it (then the body omits
   `displayCategoryCode` and Coupang assigns the category).

Anything else is blocked with the reason and what to do about it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import yaml

from dropship_core.ai.categories import esm_category_for, load_esm_map
from dropship_core.markets.metadata.model import MarketMetadata
from dropship_core.markets.names import COUPANG, GMARKET, SMARTSTORE

OVERRIDES_YAML = Path(__file__).resolve().parent.parent / "data" / "category_overrides.yaml"


@lru_cache(maxsize=8)
def load_overrides(path: str | None = None) -> dict[str, list[tuple[str, str]]]:
    p = Path(path or os.environ.get("DROPSHIP_CATEGORY_OVERRIDES") or OVERRIDES_YAML)
    doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    out = {}
    for market in (COUPANG, GMARKET, SMARTSTORE):
        entries = [(str(k), str(v)) for k, v in (doc.get(market) or {}).items()]
        out[market] = sorted(entries, key=lambda e: -len(e[0]))
    return out


def _override(market: str, ss_path: str, overrides) -> str | None:
    for prefix, code in overrides.get(market) or []:
        if ss_path == prefix or ss_path.startswith(prefix + ">"):
            return code
    return None


def _leaf_index(md: MarketMetadata) -> dict[str, list[tuple[str, str]]]:
    """Leaf name -> [(path, id)] for name matching (built once per metadata object)."""
    idx = md.__dict__.get("_leaf_idx")
    if idx is None:
        idx = {}
        for r in md.rules.values():
            if r.leaf:
                idx.setdefault(r.path.split(">")[-1], []).append((r.path, r.category_id))
        md.__dict__["_leaf_idx"] = idx
    return idx


def _by_names(ss_path: str, md: MarketMetadata) -> tuple[str, str] | None:
    levels = ss_path.split(">")
    idx = _leaf_index(md)
    for d in range(len(levels), 0, -1):
        hits = idx.get(levels[d - 1]) or []
        if not hits:
            continue
        tail = levels[:d]
        # the candidate sharing most ancestor names wins
        best = max(hits, key=lambda h: (sum(1 for x in tail if x in h[0].split(">")), -len(h[0])))
        return best
    return None


def _under(prefix: str, ss_path: str, md: MarketMetadata) -> tuple[str, str] | None:
    leaves = [r for r in md.rules.values() if r.leaf and
              (r.path == prefix or r.path.startswith(prefix + ">"))]
    if not leaves:
        return None
    words = set(ss_path.split(">"))
    best = max(leaves, key=lambda r: (len(words & set(r.path.split(">"))), -len(r.path)))
    return best.path, best.category_id


def resolve(market: str, ai: dict, md: MarketMetadata,
            overrides: dict | None = None) -> tuple[dict | None, str | None]:
    """({"id", "path", "source"} or None, the reason when None)."""
    cats = (ai or {}).get("categories") or {}
    ss = cats.get(SMARTSTORE) or {}
    ss_path = ss.get("path") or ""
    if market == SMARTSTORE:
        return (ss or None), None if ss.get("id") else f"no {market} category mapping"
    overrides = overrides if overrides is not None else load_overrides()
    code = _override(market, ss_path, overrides)
    if code:
        rule = md.get(code)
        if md.rules and rule is None:
            return None, (f"{market} category {code} from the override file is not in the "
                          f"{market} category tree ({md.version}): fix category_overrides.yaml")
        return {"id": code, "path": rule.path if rule else "", "source": "override"}, None
    if not md.rules:
        return None, _no_tree(market)
    if market == COUPANG:
        # the classifier scored the whole Coupang tree with the product's own words
        mine = cats.get(COUPANG) or {}
        if mine.get("id") and md.get(mine["id"]):
            return dict(mine, source="classifier"), None
    hit = _by_names(ss_path, md) if ss_path else None
    if hit:
        return {"id": hit[1], "path": hit[0], "source": "name"}, None
    if market == GMARKET:
        esm = esm_category_for(ss_path, _esm_map()) if ss_path else None
        hit = _under(esm.name, ss_path, md) if esm and esm.name else None
        if hit:
            return {"id": hit[1], "path": hit[0], "source": f"esm_category_map:{esm.prefix}"}, None
    if market == COUPANG and md.extra.get("auto_category"):
        return {"id": None, "path": "", "source": "coupang_auto_category", "auto": True}, None
    return None, (f"no {market} category for SmartStore '{ss_path}' in the {market} tree "
                  f"({md.version}): add it to category_overrides.yaml"
                  + (" or agree to Coupang's automatic category matching in WING"
                     if market == COUPANG else ""))


def _no_tree(market: str) -> str:
    if market == GMARKET:
        return ("no ESM category tree: set ESM_MASTER_ID, ESM_SECRET_KEY and ESM_SITE_IDS and "
                "refresh market_categories, or put the Gmarket code in category_overrides.yaml")
    return f"no {market} category tree: refresh market_categories"


@lru_cache(maxsize=1)
def _esm_map():
    return load_esm_map()
