"""SmartStore leaf -> Coupang display category and ESM site category, from the metadata.

Order per product and market:

1. the seller's override file (`category_overrides.yaml`, longest SmartStore path prefix);
2. Coupang: the classifier's candidate when the Coupang tree holds it (it scored the whole
   Coupang tree with the product's own words and the SmartStore leaf's) and it lies in a
   top-level branch that holds the SmartStore branch's goods (`COUPANG_BRANCHES`), held for
   review below the category hold threshold (`DROPSHIP_CATEGORY_HOLD_BELOW`) as SmartStore's is;
3. names and paths: the market leaf named like the SmartStore leaf (or its nearest named
   ancestor), the candidate sharing most ancestor names winning: how the same category is
   found in trees with other codes (Coupang: only in the top-level branches that hold the
   SmartStore branch's goods, `COUPANG_BRANCHES`); then, ESM only, the branch
   `esm_category_map.yaml` names for the SmartStore branch (names, no codes);
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


def overrides_fingerprint() -> str:
    """A short digest of the override file in force: part of every listing's input key, so an
    edited file re-lists exactly the products it may move."""
    import hashlib
    import json

    return hashlib.blake2b(json.dumps(load_overrides(), sort_keys=True).encode(),
                           digest_size=4).hexdigest()


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


# The Coupang top-level branches that hold the goods of a SmartStore branch (longest prefix
# wins; our table from the two trees' top levels, names only). Name matching looks only there,
# so a men's T-shirt never lands on a pet T-shirt nor an interior lamp on an RC-toy lamp.
COUPANG_BRANCHES: dict[str, tuple[str, ...]] = {
    "패션의류": ("패션의류잡화",), "패션잡화": ("패션의류잡화",),
    "화장품/미용": ("뷰티", "생활용품"),
    "디지털/가전": ("가전/디지털",), "디지털/가전>자동차기기": ("자동차용품", "가전/디지털"),
    "가구/인테리어": ("가구/홈데코", "생활용품"),
    "출산/육아": ("출산/유아동", "생활용품", "주방용품", "완구/취미", "패션의류잡화", "가구/홈데코"),
    "식품": ("식품", "헬스/건강식품"), "스포츠/레저": ("스포츠/레져",),
    "도서": ("도서", "도서/음반/DVD", "음반/DVD"), "여가/생활편의": ("완구/취미", "여행/티켓"),
    "생활/건강": ("생활용품", "주방용품", "가구/홈데코", "헬스/건강식품", "가전/디지털"),
    "생활/건강>주방용품": ("주방용품",), "생활/건강>반려동물": ("반려/애완용품",),
    "생활/건강>관상어용품": ("반려/애완용품",), "생활/건강>문구/사무용품": ("문구/오피스",),
    "생활/건강>화방용품": ("문구/오피스",), "생활/건강>자동차용품": ("자동차용품",),
    "생활/건강>자동차": ("자동차용품",), "생활/건강>악기": ("완구/취미",),
    "생활/건강>수집품": ("완구/취미",), "생활/건강>음반": ("음반/DVD", "도서/음반/DVD"),
    "생활/건강>DVD": ("음반/DVD", "도서/음반/DVD"),
    "생활/건강>블루레이": ("음반/DVD", "도서/음반/DVD"),
}


def coupang_branches(ss_path: str) -> tuple[str, ...] | None:
    """The Coupang top levels a SmartStore path's goods belong to (None: no constraint)."""
    levels = ss_path.split(">")
    for d in range(min(2, len(levels)), 0, -1):
        hit = COUPANG_BRANCHES.get(">".join(levels[:d]))
        if hit:
            return hit
    return None


def _in_branches(path: str, branches: tuple[str, ...] | None) -> bool:
    return branches is None or path.split(">")[0] in branches


def _by_names(ss_path: str, md: MarketMetadata,
              branches: tuple[str, ...] | None = None) -> tuple[str, str] | None:
    levels = ss_path.split(">")
    idx = _leaf_index(md)
    for d in range(len(levels), 0, -1):
        name = levels[d - 1]
        hits = [h for h in idx.get(name) or [] if _in_branches(h[0], branches)]
        if not hits and d == len(levels) and len(name) >= 2:
            # the same goods under a qualified name: 백팩 -> 남성백팩 / 여성백팩
            hits = [h for leaf, hs in idx.items() if leaf.endswith(name) and leaf != name
                    for h in hs if _in_branches(h[0], branches)]
        if not hits:
            continue
        tail = levels[:d]
        grams = _bigrams(">".join(tail))
        # the candidate sharing most ancestor names wins, then most of the path's syllables
        best = max(hits, key=lambda h: (sum(1 for x in tail if x in h[0].split(">")),
                                        len(grams & _bigrams(h[0])), -len(h[0])))
        return best
    return None


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1) if ">" not in text[i:i + 2]}


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
        rule = md.get(mine["id"]) if mine.get("id") else None
        if rule is not None and _in_branches(rule.path, coupang_branches(ss_path)):
            return _held_if_unsure(dict(mine, source="classifier"), ss_path, md), None
        # a pick outside the branches that hold the SmartStore branch's goods (a laptop
        # backpack in camera bags) falls through to name matching within them
    hit = _by_names(ss_path, md, coupang_branches(ss_path) if market == COUPANG else None) \
        if ss_path else None
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


def _held_if_unsure(cat: dict, ss_path: str, md: MarketMetadata) -> dict:
    """The classifier's Coupang category, held for review (like a SmartStore category) when its
    confidence is below the hold threshold: a wrong category is worse than a wait."""
    from dropship_core.ai.predictors import hold_threshold

    conf, limit = cat.get("confidence"), hold_threshold()
    if cat.get("held") or (isinstance(conf, (int, float)) and conf < limit):
        rule = md.get(cat["id"])
        cat.update(held=True, held_reason=(
            cat.get("held_reason") or
            f"coupang category confidence {float(conf or 0):.2f} below {limit} "
            f"({rule.path if rule else cat['id']}): confirm or correct it in "
            f"category_overrides.yaml (coupang: \"{ss_path}\": <display category code>)"))
    return cat


def _no_tree(market: str) -> str:
    if market == GMARKET:
        return ("no ESM category tree: set ESM_MASTER_ID, ESM_SECRET_KEY and ESM_SITE_IDS and "
                "refresh market_categories, or put the Gmarket code in category_overrides.yaml")
    return f"no {market} category tree: refresh market_categories"


@lru_cache(maxsize=1)
def _esm_map():
    return load_esm_map()
