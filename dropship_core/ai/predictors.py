"""Category decisions from several sources: seller rules, the offline ranker, the markets' own
predictors and an optional LLM choice.

A source is a `CategoryPredictor`: `predict(name, brand) -> [(leaf_id, score)]`, best first,
scores in [0, 1]. The offline ranker is one (ranker.py); Coupang's category prediction API is
another (markets/coupang_predict.py); Naver Shopping search is a third
(evidence/naver_category.py: the closest items' `category1..4` voted and mapped to leaf ids).

`CategoryDecider.decide` order:

1. a seller rule of this supplier whose supplier category and name tokens match wins outright
   (confidence 1.0): a correction made once applies to similar products of that supplier;
2. otherwise every source's candidates are pooled; each leaf's support is the offline
   probability plus `reliability` x score of each other source that named it;
3. when the sources disagree or the best support is low and a chooser (LLM) is configured, it
   picks among the pooled candidates;
4. confidence: the offline ranker's calibrated probability of the chosen leaf, raised by every
   other source that agrees (1 - prod(1 - r)) and lowered by each that names another leaf;
   below `threshold` the decision is held for review with a reason naming the disagreement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol, Sequence, runtime_checkable

from dropship_core.ai.tree_vocab import _skip_words, analyse, nouns, norm

log = logging.getLogger(__name__)

# Below this calibrated confidence a category is held for review. 0.25 holds the names whose
# best leaf is right about one time in five or less (real-name tuning part); raise it with
# DROPSHIP_CATEGORY_HOLD_BELOW to review more (0.5 holds about half of unseen real names).
DEFAULT_THRESHOLD = 0.25


def hold_threshold() -> float:
    import os

    try:
        return float(os.environ.get("DROPSHIP_CATEGORY_HOLD_BELOW") or DEFAULT_THRESHOLD)
    except ValueError:
        return DEFAULT_THRESHOLD
RELIABILITY = {"coupang_predict": 0.7, "naver_search": 0.7, "llm": 0.6}  # assumed, see module doc


@runtime_checkable
class CategoryPredictor(Protocol):
    source: str

    def predict(self, name: str, brand: str | None = None) -> list[tuple[str, float]]:
        ...


class CategoryChooser(Protocol):
    def choose(self, name: str, candidates: Sequence[dict]) -> str | None:
        ...


def rule_tokens(name: str, n: int = 2) -> list[str]:
    """The words a correction is keyed by: the last `n` content nouns (the product noun and its
    nearest modifier), which similar products of the same supplier share."""
    out: list[str] = []
    skip = _skip_words()  # selling words and colours say nothing about the product
    for w in reversed([x for x in nouns(norm(name)) if x not in skip and not x.isdigit()]):
        if w not in out and len(w) >= 2 and not any(ch.isdigit() for ch in w):
            out.append(w)
        if len(out) == n:
            break
    return sorted(out)


@dataclass
class Decision:
    category_id: str | None
    path: str | None
    confidence: float
    sources: list[dict] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)
    held: bool = False
    held_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.category_id, "path": self.path, "confidence": self.confidence,
                "sources": self.sources, "candidates": self.candidates, "held": self.held,
                "held_reason": self.held_reason}


class CachedPredictor:
    """Wraps a remote predictor: answers cached per normalised name in Postgres."""

    def __init__(self, inner: CategoryPredictor, store, market: str):
        self.inner, self.store, self.market = inner, store, market
        self.source = inner.source

    def predict(self, name: str, brand: str | None = None) -> list[tuple[str, float]]:
        hit = self.store.cached_prediction(self.source, self.market, name)
        if hit is not None:
            return [(str(i), float(s)) for i, s in hit]
        result = self.inner.predict(name, brand)
        self.store.save_prediction(self.source, self.market, name, [list(x) for x in result])
        return result


class CrossTreePredictor:
    """Another market's predictor as candidates in this market's tree: the other market's leaf
    path (its last two levels) plus the name, ranked by this market's offline ranker. Lets
    Coupang's own prediction vote on SmartStore categories."""

    def __init__(self, inner: CategoryPredictor, source_paths, target_ranker, k: int = 3):
        self.inner, self.source_paths, self.target, self.k = inner, source_paths, target_ranker, k
        self.source = inner.source

    def predict(self, name: str, brand: str | None = None) -> list[tuple[str, float]]:
        got = self.inner.predict(name, brand)
        if not got:
            return []
        path = self.source_paths(got[0][0])
        if not path:
            return []
        hint = " ".join(path.split(">")[-2:]).replace("/", " ")
        return [(p.category_id, p.confidence) for p in self.target.top_k(f"{name} {hint}", self.k)]


class CategoryDecider:
    def __init__(self, ranker, predictors: Iterable[CategoryPredictor] = (), *, store=None,
                 chooser: CategoryChooser | None = None, threshold: float | None = None,
                 top: int = 10):
        self.ranker = ranker
        self.market = ranker.market
        self.predictors = list(predictors)
        self.store, self.chooser = store, chooser
        self.threshold = hold_threshold() if threshold is None else threshold
        self.top = top
        self._rules: dict[str, list[dict]] = {}

    # ------------------------------------------------------------------ rules
    def _rule_for(self, name: str, supplier_key: str | None, supplier_category: str | None):
        if not (self.store and supplier_key):
            return None
        if supplier_key not in self._rules:
            self._rules[supplier_key] = self.store.rules_for(self.market, supplier_key)
        words = analyse(name).words
        for rule in self._rules[supplier_key]:
            cat = rule["supplier_category"] or ""
            if cat and cat != (supplier_category or ""):
                continue
            if set(rule["tokens"]) <= words:
                return rule
        return None

    def forget_rules(self) -> None:
        self._rules.clear()

    # ------------------------------------------------------------------ decide
    def decide(self, name: str, *, brand: str | None = None, supplier_key: str | None = None,
               supplier_category: str | None = None) -> Decision:
        rule = self._rule_for(name, supplier_key, supplier_category)
        if rule:
            src = {"source": "seller_rule", "id": rule["category_id"], "path": rule["category_path"],
                   "rule_id": rule["rule_id"], "score": 1.0}
            return Decision(rule["category_id"], rule["category_path"], 1.0, [src],
                            [{"id": rule["category_id"], "path": rule["category_path"], "confidence": 1.0}])
        offline = self.ranker.top_k(f"{brand} {name}" if brand and brand not in name else name, self.top)
        prob = {p.category_id: p.confidence for p in offline}
        support = dict(prob)
        sources = [{"source": "offline", "id": offline[0].category_id, "path": offline[0].path,
                    "score": offline[0].confidence}]
        for pred in self.predictors:
            got = self._ask(pred, name, brand)
            if not got:
                sources.append({"source": pred.source, "id": None, "path": None, "score": 0.0})
                continue
            cid, score = got[0]
            sources.append({"source": pred.source, "id": cid, "path": self.ranker.path_of(cid),
                            "score": round(float(score), 3)})
            for c, s in got:
                if self.ranker.path_of(c) is not None:
                    support[c] = support.get(c, 0.0) + RELIABILITY.get(pred.source, 0.5) * float(s)
        best = max(support, key=lambda c: (support[c], prob.get(c, 0.0)))
        answers = {s["id"] for s in sources if s["id"]}
        if self.chooser and (len(answers) > 1 or prob.get(best, 0.0) < self.threshold):
            best = self._choose(name, best, support, sources)
        conf = self._confidence(best, prob, sources)
        cands = sorted(support, key=lambda c: -support[c])[:self.top]
        candidates = [{"id": c, "path": self.ranker.path_of(c), "confidence": round(prob.get(c, 0.0), 3)}
                      for c in cands]
        d = Decision(best, self.ranker.path_of(best), conf, sources, candidates)
        if conf < self.threshold:
            d.held = True
            d.held_reason = self._reason(conf, sources)
        return d

    def _ask(self, pred: CategoryPredictor, name: str, brand: str | None) -> list[tuple[str, float]]:
        try:
            return list(pred.predict(name, brand))
        except Exception as exc:  # a market predictor being down never blocks the decision
            log.warning("category predictor %s failed: %s", pred.source, type(exc).__name__)
            return []

    def _choose(self, name: str, best: str, support: dict, sources: list[dict]) -> str:
        pool = sorted(support, key=lambda c: -support[c])[:self.top]
        cands = [{"id": c, "path": self.ranker.path_of(c)} for c in pool]
        try:
            picked = self.chooser.choose(name, cands)
        except Exception as exc:
            log.warning("category chooser failed: %s", type(exc).__name__)
            picked = None
        sources.append({"source": "llm", "id": picked, "path": self.ranker.path_of(picked) if picked else None,
                        "score": 1.0 if picked else 0.0})
        return picked if picked in support else best

    @staticmethod
    def _confidence(best: str, prob: dict, sources: list[dict]) -> float:
        conf = prob.get(best, 0.0)
        for s in sources[1:]:
            r = RELIABILITY.get(s["source"], 0.5)
            if s["id"] == best:
                conf = 1.0 - (1.0 - conf) * (1.0 - r)
            elif s["id"]:
                conf *= 1.0 - 0.5 * r
        return round(conf, 3)

    def _reason(self, conf: float, sources: list[dict]) -> str:
        said = ", ".join(f"{s['source']}→{s['path'] or s['id'] or 'no answer'}" for s in sources)
        return f"category confidence {conf:.2f} below {self.threshold:.2f} ({said}); confirm with `dropship enrich map`"
