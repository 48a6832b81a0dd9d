"""The offline enrichment provider: deterministic rules + local category index, no network.

`OfflineEnricher().enrich(product)` turns a canonical product dict
(`CanonicalProduct.to_dict()`) into the `ai_data` document of docs/data-shapes.md. Same input,
same output: no clock, no randomness, no model download.

LLM providers build on it: `candidates(product, market, k)` gives the top-k leaf categories this
classifier found, for a model to choose among (it cannot invent an id that is not in the tree).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

from dropship_core.ai.categories import CategoryRow, EsmCategory, esm_category_for, load_esm_map
from dropship_core.ai.classifier import CategoryClassifier, Prediction, default_classifier, load_lexicon
from dropship_core.ai.text import (
    clean_name,
    cut_title,
    extract_attributes,
    find_brand,
    normalize,
    sanitize_description,
)
from dropship_core.markets.names import COUPANG, GMARKET, MARKETS, SMARTSTORE

PROVIDER = "offline"
MODEL = "rules-v1"
PROMPT_VERSION = "v1"
BANNED_YAML = Path(__file__).parent / "data" / "banned_words.yaml"


# ---------------------------------------------------------------- banned words

@dataclass(frozen=True)
class BannedWords:
    common: tuple[str, ...]
    per_market: Mapping[str, tuple[str, ...]]

    @classmethod
    def load(cls, path: str | Path | None = None) -> "BannedWords":
        doc = yaml.safe_load(Path(path or BANNED_YAML).read_text(encoding="utf-8")) or {}
        common: list[str] = []
        for words in (doc.get("common") or {}).values():
            common.extend(str(w) for w in words or [])
        per = {m: tuple(str(w) for w in ws or []) for m, ws in (doc.get("markets") or {}).items()}
        return cls(tuple(dict.fromkeys(common)), per)

    def words_for(self, market: str | None) -> tuple[str, ...]:
        return self.common + (self.per_market.get(market, ()) if market else ())

    @staticmethod
    def _key(text: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "").lower())

    def find(self, text: str, market: str | None = None) -> list[str]:
        """Banned words of `market` (or the common ones) present in `text`, in list order."""
        key = self._key(text)
        return [w for w in self.words_for(market) if self._key(w) and self._key(w) in key]

    def strip(self, text: str, words: Iterable[str]) -> str:
        """`text` with `words` removed (spaces inside a word may vary)."""
        for w in words:
            chars = [re.escape(c) for c in self._key(w)]
            text = re.sub(r"\s*".join(chars), " ", unicodedata.normalize("NFKC", text), flags=re.I)
        return normalize(text)


@lru_cache(maxsize=1)
def default_banned_words() -> BannedWords:
    return BannedWords.load()


# ---------------------------------------------------------------- quality

# weight of each completeness check in quality_score
_QUALITY_WEIGHTS = {
    "images": 0.2,
    "brand": 0.1,
    "origin": 0.1,
    "description": 0.15,
    "options": 0.1,
    "category": 0.2,
    "banned": 0.1,
    "name": 0.05,
}


def _options_problem(variants: Sequence[Mapping[str, Any]]) -> str | None:
    if not variants:
        return None
    keys = {tuple(sorted((v.get("options") or {}).keys())) for v in variants}
    if len(keys) > 1:
        return "options inconsistent: variants use different option names"
    combos = [tuple(sorted((v.get("options") or {}).items())) for v in variants]
    if len(set(combos)) != len(combos):
        return "options inconsistent: duplicate option combinations"
    skus = [v.get("sku") for v in variants]
    if len(set(skus)) != len(skus):
        return "options inconsistent: duplicate SKUs"
    for v in variants:
        if any(not str(x).strip() for x in (v.get("options") or {}).values()):
            return "options inconsistent: empty option value"
    return None


def quality(product: Mapping[str, Any], description: str, brand: str | None,
            category_confidence: float, banned: Sequence[str], name: str) -> tuple[float, list[str]]:
    """Completeness score in [0, 1] and the reasons it is below 1, most important first."""
    got: dict[str, float] = {}
    reasons: list[str] = []
    n_img = len([i for i in product.get("images") or [] if i])
    got["images"] = 1.0 if n_img >= 3 else (0.6 if n_img == 2 else (0.4 if n_img == 1 else 0.0))
    if n_img == 0:
        reasons.append("no image")
    elif n_img < 3:
        reasons.append(f"{n_img} image" + ("s" if n_img > 1 else ""))
    got["category"] = min(1.0, category_confidence / 0.6)
    if category_confidence < 0.5:
        reasons.append(f"low category confidence ({category_confidence:.2f})")
    got["brand"] = 1.0 if brand else 0.0
    if not brand:
        reasons.append("no brand")
    got["origin"] = 1.0 if (product.get("origin") or "").strip() else 0.0
    if not got["origin"]:
        reasons.append("no origin")
    dl = len(description)
    got["description"] = 1.0 if dl >= 200 else (0.5 if dl >= 50 else 0.0)
    if dl < 50:
        reasons.append("no description" if dl == 0 else f"short description ({dl} chars)")
    elif dl < 200:
        reasons.append(f"short description ({dl} chars)")
    problem = _options_problem(product.get("variants") or [])
    got["options"] = 0.0 if problem else 1.0
    if problem:
        reasons.append(problem)
    got["banned"] = 0.0 if banned else 1.0
    if banned:
        reasons.append("banned words: " + ", ".join(banned))
    got["name"] = 1.0 if len(name) >= 10 else 0.5
    if len(name) < 10:
        reasons.append("short name")
    score = sum(_QUALITY_WEIGHTS[k] * got[k] for k in _QUALITY_WEIGHTS)
    return round(max(0.0, min(1.0, score)), 3), reasons


# ---------------------------------------------------------------- the provider

class OfflineEnricher:
    """Enrichment with no network: rules for text, a local index for categories.

    Build once per process (building the SmartStore index takes about a second) and reuse:
    `enrich_many` over a partition. `classifiers` may be built from store rows
    (`CategoryClassifier(read_categories(conn, m), m)`) to follow refreshed trees.
    """

    provider = PROVIDER
    model = MODEL
    prompt_version = PROMPT_VERSION

    def __init__(
        self,
        classifiers: Mapping[str, CategoryClassifier] | None = None,
        banned_words: BannedWords | None = None,
        esm_map: Sequence[EsmCategory] | None = None,
        markets: Sequence[str] = MARKETS,
        coupang_uncovered: Sequence[str] | None = None,
        decisions: Any = None,
        hold_below: float | None = None,
    ):
        self.markets = tuple(markets)
        # SmartStore branches the Coupang tree in use does not cover: no Coupang category there
        self.coupang_uncovered = tuple(
            coupang_uncovered if coupang_uncovered is not None
            else (load_lexicon().get("coupang_uncovered") or ())
        )
        self._classifiers = dict(classifiers or {})
        self.decisions = decisions  # a CategoryStore: seller rules apply when given
        self.hold_below = hold_below
        self._deciders: dict[str, Any] = {}
        self.banned_words = banned_words or default_banned_words()
        self.esm_map = list(esm_map) if esm_map is not None else load_esm_map()

    @classmethod
    def from_rows(cls, rows_by_market: Mapping[str, Sequence[CategoryRow]], **kw) -> "OfflineEnricher":
        """An enricher over trees read from the store (`read_categories`)."""
        return cls({m: CategoryClassifier(rows, m) for m, rows in rows_by_market.items() if rows}, **kw)

    def classifier(self, market: str) -> CategoryClassifier:
        """The explicit classifier of `market`, else the shipped tree's ranker (ranker.py)."""
        if market not in self._classifiers:
            from dropship_core.ai.ranker import default_ranker

            self._classifiers[market] = default_ranker(market)
        return self._classifiers[market]

    def _decide(self, market: str, query: str, product: Mapping[str, Any]) -> dict:
        """A category decision with its sources; held for review below the threshold."""
        from dropship_core.ai.predictors import CategoryDecider

        clf = self.classifier(market)
        if not hasattr(clf, "path_of"):  # an explicit plain classifier: its answer as is
            return {**clf.classify(query).as_dict(), "sources": [{"source": "offline"}], "held": False}
        if market not in self._deciders:  # one per market: seller rules read once per supplier
            self._deciders[market] = CategoryDecider(clf, store=self.decisions, threshold=self.hold_below)
        d = self._deciders[market].decide(
            query, supplier_key=product.get("supplier_key"),
            supplier_category=product.get("category_path"))
        out = {"id": d.category_id, "path": d.path, "confidence": d.confidence,
               "sources": d.sources, "held": d.held}
        if d.held:
            out["held_reason"] = d.held_reason
        return out

    # -- categories

    def _coupang_uncovered(self, smartstore_path: str) -> bool:
        return any(smartstore_path == p or smartstore_path.startswith(p + ">") for p in self.coupang_uncovered)

    @staticmethod
    def _query(product: Mapping[str, Any], clean: str) -> str:
        # the supplier's own category path helps (its last two levels are the specific ones)
        sup = product.get("category_path") or ""
        tail = " ".join(re.split(r"[>/|]", sup)[-2:]) if sup else ""
        return f"{clean} {tail}".strip()

    def candidates(self, product: Mapping[str, Any], market: str = SMARTSTORE, k: int = 5) -> list[dict]:
        """The k best leaf categories for `product` in `market`: what an LLM provider chooses from."""
        clean = clean_name(product.get("name") or "")
        query = self._query(product, clean)
        if market == COUPANG:
            ss = self.classifier(SMARTSTORE).classify(query)
            query = f"{query} {' '.join(ss.path.split('>')[-2:])}"
        return [p.as_dict() for p in self.classifier(market).top_k(query, k)]

    def _categories(self, product: Mapping[str, Any], clean: str) -> dict[str, dict | None]:
        query = self._query(product, clean)
        out: dict[str, dict | None] = {}
        ss: Prediction | None = None
        if SMARTSTORE in self.markets:
            dec = self._decide(SMARTSTORE, query, product)
            out[SMARTSTORE] = dec
            ss = Prediction(dec["id"], dec["path"], dec["confidence"])
        elif GMARKET in self.markets or COUPANG in self.markets:
            ss = self.classifier(SMARTSTORE).classify(query)
        if COUPANG in self.markets:
            if ss and self._coupang_uncovered(ss.path):
                out[COUPANG] = None
            else:
                # the SmartStore leaf's words steer the Coupang tree, which has other names
                hint = " ".join(ss.path.split(">")[-2:]) if ss else ""
                out[COUPANG] = self.classifier(COUPANG).classify(f"{query} {hint}").as_dict()
        if GMARKET in self.markets:
            esm = esm_category_for(ss.path, self.esm_map) if ss else None
            # no ESM code here: the market metadata resolves the branch to a code
            out[GMARKET] = (
                {"id": esm.code or None, "path": esm.name or esm.prefix,
                 "confidence": ss.confidence, "source": f"esm_category_map:{esm.prefix}"}
                if esm else None
            )
        return out

    # -- the document

    def enrich(self, product: Mapping[str, Any]) -> dict[str, Any]:
        """The ai_data document for one canonical product dict."""
        raw_name = product.get("name") or ""
        clean = clean_name(raw_name)
        cats = self._categories(product, clean)
        ss = cats.get(SMARTSTORE) or (self.classifier(SMARTSTORE).classify(clean).as_dict())
        top = ss["path"].split(">")[0] if ss else None

        options = [v.get("options") or {} for v in product.get("variants") or []]
        attrs = extract_attributes(
            raw_name, brand=product.get("brand") or None, model=product.get("model") or None,
            options=options, top_level=top,
        )
        brand = product.get("brand") or find_brand(raw_name)
        if product.get("manufacturer") and "manufacturer" not in attrs:
            attrs["manufacturer"] = str(product["manufacturer"])
        if product.get("origin"):
            attrs["origin"] = str(product["origin"])

        description = sanitize_description(product.get("description"))

        banned_by_market: dict[str, list[str]] = {}
        everything = f"{raw_name}\n{description}"
        common = self.banned_words.find(everything)
        for m in self.markets:
            found = self.banned_words.find(everything, m)
            if found:
                banned_by_market[m] = found
        banned = sorted(set(common) | {w for ws in banned_by_market.values() for w in ws})

        titles = {}
        for m in self.markets:
            base = clean
            if brand and brand.lower() not in clean.lower():
                base = f"{brand} {clean}"
            base = self.banned_words.strip(base, self.banned_words.find(base, m))
            titles[m] = cut_title(base, m)

        score, reasons = quality(
            product, description, brand, float(ss["confidence"]) if ss else 0.0, banned, clean,
        )
        return {
            "clean_name": clean,
            "titles": titles,
            "description": description,
            "attributes": attrs,
            "categories": cats,
            "banned_words": banned,
            "banned_words_by_market": banned_by_market,
            "quality_score": score,
            "quality_reasons": reasons,
            "provider": self.provider,
            "model": self.model,
            "prompt_version": self.prompt_version,
        }

    def enrich_many(self, products: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.enrich(p) for p in products]


# ---------------------------------------------------------------- checks

def ai_data_problems(ai_data: Mapping[str, Any], banned_words: BannedWords | None = None,
                     leaf_ids: Mapping[str, set[str]] | None = None) -> list[str]:
    """What is wrong with an ai_data document (from any provider), for asset checks.

    Titles over their market's limit or carrying that market's banned words, categories that are
    not leaves of the tree in use (`leaf_ids`: market → ids), scores outside [0, 1].
    """
    from dropship_core.ai.text import limit_of, text_size

    bw = banned_words or default_banned_words()
    problems: list[str] = []
    for market, title in (ai_data.get("titles") or {}).items():
        if market not in MARKETS:
            problems.append(f"{market}: unknown market")
            continue
        if text_size(title, market) > limit_of(market):
            problems.append(f"{market}: title over {limit_of(market)}")
        found = bw.find(title, market)
        if found:
            problems.append(f"{market}: banned words in title: {', '.join(found)}")
        if not title.strip():
            problems.append(f"{market}: empty title")
    for market, cat in (ai_data.get("categories") or {}).items():
        if not cat:
            continue
        if not 0.0 <= float(cat.get("confidence", 0)) <= 1.0:
            problems.append(f"{market}: category confidence outside [0, 1]")
        if leaf_ids and market in leaf_ids and str(cat.get("id")) not in leaf_ids[market]:
            problems.append(f"{market}: category {cat.get('id')} is not a leaf")
    q = ai_data.get("quality_score")
    if q is None or not 0.0 <= float(q) <= 1.0:
        problems.append("quality_score outside [0, 1]")
    return problems
