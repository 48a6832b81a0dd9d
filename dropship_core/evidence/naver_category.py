"""Naver Shopping search as a category source: the categories of the closest listed items, voted
and mapped to SmartStore leaf ids.

    search = NaverShopSearch.from_env(budget=..., cache=...)
    pred = NaverSearchPredictor(search, default_ranker("smartstore"))
    pred.predict("에어쿨 핸디 선풍기 FAN-200")  # [("50002543", 0.86), ...]

A `CategoryPredictor` (dropship_core.ai.predictors): one search call per product (the client's
cache answers repeats of the same normalised query, its daily budget of 25,000 calls is taken
before each call; wrap the predictor in `CachedPredictor` to keep the answers per normalised
name in Postgres). Items carry `category1..category4`, the names of Naver's own category tree,
which is the SmartStore tree: a voted path that is a leaf maps to it directly; a path that stops
at an inner node (or names a node the shipped tree has since renamed below it) maps to the best
leaf under the deepest node found, as the offline ranker scores the name. A leaf's score is its
share of the voting items. Errors (auth, budget spent, HTTP) are raised: the decider treats a
failing source as silent.
"""

from __future__ import annotations

import numpy as np

from dropship_core.evidence.matching import query_for
from dropship_core.evidence.naver_search import NaverShopSearch, category_votes

SOURCE = "naver_search"


class NaverSearchPredictor:
    source = SOURCE

    def __init__(self, search: NaverShopSearch, ranker, *, display: int = 40, top: int = 5):
        if ranker.market != "smartstore":
            raise ValueError("Naver search categories are SmartStore categories; use CrossTreePredictor for other markets")
        self.search, self.ranker, self.display, self.top = search, ranker, display, top
        self._index = {p: i for i, p in enumerate(ranker.paths)}
        self._nodes: dict[str, np.ndarray | None] = {}

    def predict(self, name: str, brand: str | None = None) -> list[tuple[str, float]]:
        query = query_for(name, brand)
        if not query.strip():
            return []
        items = self.search.search(query, display=self.display, sort="sim").items
        votes = category_votes(items)
        total = sum(n for _, n in votes)
        if not total:
            return []
        support: dict[str, float] = {}
        scores = None
        for path, n in votes:
            i = self._index.get(path)
            if i is None:
                under = self._leaves_under(path)
                if under is None:
                    continue
                scores = self.ranker.scores(name) if scores is None else scores
                i = int(under[np.argmax(scores[under])])
            cid = self.ranker.ids[i]
            support[cid] = support.get(cid, 0.0) + n / total
        best = sorted(support.items(), key=lambda kv: (-kv[1], kv[0]))[:self.top]
        return [(cid, round(s, 3)) for cid, s in best]

    def _leaves_under(self, path: str) -> np.ndarray | None:
        """Leaf numbers under the deepest node of `path` the tree knows (None: not even its top)."""
        parts = [p for p in path.split(">") if p]
        while parts:
            node = ">".join(parts)
            if node not in self._nodes:
                idx = [i for i, p in enumerate(self.ranker.paths) if p.startswith(node + ">")]
                self._nodes[node] = np.array(idx, dtype=np.int64) if idx else None
            if self._nodes[node] is not None:
                return self._nodes[node]
            parts.pop()
        return None
