"""Offline Korean product-name → leaf-category classifier.

Built from category rows (CSV or store) plus a curated lexicon; no model files:

1. Similarity: each leaf is a bag of features made from its path (leaf name weighted most, then
   parent, grandparent, top level) and its lexicon keywords. Features are whole words and
   character 2-/3-grams, so Korean compounds match their parts (블루투스이어폰 ~ 이어폰).
   TF-IDF weights, L2-normalised; the query is scored against all leaves through an inverted
   index (numpy, one bincount per name).
2. Rules: keywords found in the name (space-insensitive; a keyword inside a longer matched one
   counts half) boost the leaves under the node they name. Keywords come from the lexicon
   (`category_lexicon.yaml`: a leaf or a level-2/3 node → words sellers use) and from the tree
   itself (leaf and node names). A leaf's strongest keyword counts, further ones add a little.
   Brands with a category hint (`brands.yaml`) add a small boost to their node.
3. Context: branch words (캠핑, 강아지, 차량용, 아동, 맥북...) add to every leaf of their branch,
   and more to those that also match a product word (캠핑 수저 → camping cutlery).
4. Demotions and gates: accessory words demote device leaves (아이패드 케이스 is a case);
   branches that repeat ordinary words (books, vouchers, baby, pet...) lose points unless the
   name carries one of their cue words.

The top level is chosen first (the one holding the best-scoring leaf, keyword evidence
included), then the best leaf inside it. Confidence in [0, 1] grows with the winning score and
its margin over the best leaf of another parent.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from dropship_core.ai.categories import CategoryRow, load_tree
from dropship_core.ai.classifier_index import (  # noqa: F401 (DATA_DIR, LEXICON_YAML: re-exported)
    _ACCESSORY, _BRAND, _CTX, _EXTRA, _GATE, _GENDER, _INNER, _MODIFIER_NEXT, DATA_DIR, LEXICON_YAML,
    ClassifierIndex, Prediction, _features, _norm, _tokens, load_lexicon)
from dropship_core.ai.text import find_brand
from dropship_core.ai.tree_vocab import _group

_LATIN = frozenset("abcdefghijklmnopqrstuvwxyz")

class CategoryClassifier(ClassifierIndex):
    """Classifier over one market's leaves. Build once (well under 2 s), call many times."""

    def __init__(self, rows: Sequence[CategoryRow], market: str, lexicon: dict | None = None):
        lexicon = load_lexicon() if lexicon is None else lexicon
        self.market = market
        self.leaves = [r for r in rows if r.is_leaf]
        if not self.leaves:
            raise ValueError(f"no leaf categories for {market}")
        market_lex, gates = self._read_lexicon(lexicon, market)
        leaf_set = self._index_tree(market_lex)
        self._build_postings(market_lex)
        self._build_keywords(market_lex, leaf_set)
        self._build_gates(gates, market_lex, lexicon, market)
        self._index_keywords(market)
        self.n = len(self.leaves)
        self._post_idf = {k: (ix, w, self.idf[k]) for k, (ix, w) in self._post.items()}
        # gated nodes are ranges of leaves (leaves in path order); a gender word's +/- in one array
        self._gate_ranges = [(int(idx.min()), int(idx.max()) + 1) for idx, _k, _n in self._gates]
        if any(hi - lo != len(idx) for (lo, hi), (idx, _k, _n) in zip(self._gate_ranges, self._gates)):
            raise ValueError("category rows must be in path order (leaves under a node contiguous)")
        self._gate_keys = set().union(*(keys for _i, keys, _n in self._gates))
        self._gender_delta = {}
        for g, other in (("남성", "여성"), ("여성", "남성")):
            d = np.zeros(self.n, dtype=np.float32)
            d[self._gender[g]] += _GENDER
            d[self._gender[other]] -= _GENDER
            self._gender_delta[g] = d

    # ------------------------------------------------------------------ scoring

    def _query_tokens(self, text: str) -> list[str]:
        toks = _tokens(text)
        extra: list[str] = []
        for t in toks:
            for s in self.synonyms.get(t, ()):
                extra.extend(_tokens(s))
        return toks + extra

    def _keyword_hits(self, text: str) -> tuple[list[tuple[str, float]], set[str]]:
        """Keyword matches with their weight (maximal or inside a longer match), and the set of
        every match (for branch cues and gates)."""
        s = name = _norm(text).replace(" ", "")
        base = max(1, len(s))
        for k, vs in self.synonyms.items():
            if k in name:
                s = s + " " + " ".join(v.replace(" ", "") for v in vs)
        hits: list[tuple[int, int, str]] = []
        kw, kw_lens = self._kw, self._kw_lens
        L = len(s)
        for i in range(L):
            for n in kw_lens.get(s[i:i + 2], ()):
                if i + n <= L and s[i:i + n] in kw:
                    hits.append((i, i + n, s[i:i + n]))
            if s[i] in kw:
                hits.append((i, i + 1, s[i]))
        # a word followed by 겸용/호환/전용 names what the product works with, not what it is
        # (인덕션 겸용 냄비, 맥북 호환 허브)
        hits = [h for h in hits if s[h[1]:h[1] + 2] not in _MODIFIER_NEXT]
        # a Latin keyword does not match the start of a longer Latin word (cla in classic)
        hits = [h for h in hits if not (h[2][-1] in _LATIN and s[h[1]:h[1] + 1] in _LATIN and h[2].isascii())]
        # keep maximal matches only: a keyword inside a longer matched keyword does not count
        # (by start, longest first: a hit lies inside a longer one when an earlier start reaches
        # its end, or a longer hit has the same start)
        keep_set = set()
        reach, start, first_end = -1, -1, -1
        for h in sorted(hits, key=lambda h: (h[0], -h[1])):
            a, b = h[0], h[1]
            if a != start:
                reach, start, first_end = max(reach, first_end), a, b
            if reach < b and first_end <= b:
                keep_set.add(h)
        # weight 1 for a maximal match, _INNER for a keyword inside a longer one (수저 in
        # 수저세트 still says "cutlery" for the camping branch)
        best: dict[str, float] = {}
        for h in hits:
            w = 1.0 if h in keep_set else _INNER
            best[h[2]] = max(best.get(h[2], 0.0), w)
        return list(best.items()), {h[2] for h in hits}

    def scores(self, text: str, brand: str | None | bool = False, opened: frozenset[int] = frozenset()) -> np.ndarray:
        """Every leaf's score for `text`; `brand`: the brand `find_brand` finds in it, when the
        caller has looked already (False: look here); `opened`: gates (numbers in _gate_ranges)
        open whatever the name says."""
        qtoks = self._query_tokens(text)
        feats = _features(qtoks, self.weak)
        get = self._post_idf.get
        q = [(p, v * p[2]) for p, v in ((get(k), v) for k, v in feats.items()) if p is not None]
        hits, all_hits = self._keyword_hits(text)
        if q:
            # one concatenation and one product for all postings (not one per feature)
            qn = math.sqrt(sum(v * v for _, v in q)) or 1.0
            ix = np.concatenate([p[0] for p, _ in q])
            w = np.concatenate([p[1] for p, _ in q])
            w *= np.array([v / qn for _, v in q], dtype=np.float32).repeat([len(p[0]) for p, _ in q])
            scores = np.bincount(ix, weights=w, minlength=self.n).astype(np.float32)
        else:
            scores = np.zeros(self.n, dtype=np.float32)
        # branch evidence (강아지, 차량용, 아동, 캠핑) adds up and is read from every match, even
        # one inside a longer keyword (강아지 in 강아지간식)
        nodes = [self._kw_node[k] for k in all_hits if k in self._kw_node]
        branch = (
            np.bincount(np.concatenate([i for i, _ in nodes]), minlength=self.n,
                        weights=np.concatenate([w for _, w in nodes])).astype(np.float32)
            if nodes else None
        )
        # leaf evidence: the strongest keyword counts, further ones add a little (no pile-up of
        # synonyms)
        leaf_hits = [(idx, boost * w) for k, w in hits for idx, boost in self._kw_leaf.get(k, ())]
        hit = None
        if leaf_hits:
            # per leaf: its strongest keyword, plus _EXTRA for each further one
            ix = np.concatenate([idx for idx, _ in leaf_hits])
            val = np.array([b for _, b in leaf_hits], dtype=np.float32).repeat([len(i) for i, _ in leaf_hits])
            hit, best, count = _group(ix, val, count=True)
            scores[hit] += best + _EXTRA * (count - 1)
        if branch is not None:
            scores += branch
            if hit is not None:
                # a branch named in the name and a product word found inside it: the product is
                # that branch's version of the thing (캠핑 + 수저 → camping cutlery)
                scores[hit] += _CTX * branch[hit]
        # an accessory word: the device itself is not what is sold (likewise appliances/food)
        for words, idx in self._demote:
            if not all_hits.isdisjoint(words):
                scores[idx] -= _ACCESSORY
        if self._gates:
            # every gate closed, then open the ones whose cue is in the name
            scores -= self._gate_all
            cue = not all_hits.isdisjoint(self._gate_keys)  # most names carry no cue
            if cue or opened:
                for g, ((lo, hi), (_idx, keys, _node)) in enumerate(zip(self._gate_ranges, self._gates)):
                    if g in opened or (cue and not all_hits.isdisjoint(keys)):
                        scores[lo:hi] += _GATE
        males, females = "남성" in qtoks, "여성" in qtoks
        if males != females:
            scores += self._gender_delta["남성" if males else "여성"]
        if self._brand_hint:
            b = find_brand(text) if brand is False else brand
            if b and b in self._brand_hint:
                scores[self._brand_hint[b]] += _BRAND
        return scores

    def top_k(self, text: str, k: int = 5) -> list[Prediction]:
        """The k best leaves, best first, each with its confidence."""
        s = self.scores(text)
        # top level first: the best leaf of each top level, then the winner's best leaves
        top_best = np.maximum.reduceat(s[self._top_perm], self._top_starts)
        best_top = int(np.argmax(top_best))
        members = self._top_members[best_top]
        ranked = self._best(s, members, k)
        if len(ranked) < k:
            rest = np.nonzero(self.top_of != best_top)[0]
            ranked += self._best(s, rest, k - len(ranked))
        s1 = float(s[ranked[0]])
        other = s[self.parent_arr != self.parent_arr[ranked[0]]]
        s2 = float(other.max()) if other.size else 0.0
        out = []
        for r, i in enumerate(ranked):
            si = float(s[i])
            conf = self._confidence(si, s2 if r == 0 else max(s1, s2))
            out.append(Prediction(self.ids[i], self.paths[i], conf, round(si, 4)))
        return out

    @staticmethod
    def _best(s: np.ndarray, members: np.ndarray, k: int) -> list[int]:
        sub = s[members]
        kk = min(k, len(sub))
        if kk <= 0:
            return []
        part = np.argpartition(-sub, kk - 1)[:kk]
        # ties broken by leaf order so the result never depends on the partition
        part = sorted(part.tolist(), key=lambda j: (-float(sub[j]), int(members[j])))
        return [int(members[j]) for j in part]

    @staticmethod
    def _confidence(s1: float, s2: float) -> float:
        if s1 <= 0:
            return 0.0
        strength = 1.0 - math.exp(-2.0 * s1)
        margin = max(0.0, min(1.0, (s1 - s2) / s1))
        return round(max(0.0, min(1.0, strength * (0.35 + 0.65 * margin) + 0.1 * strength)), 3)

    def classify(self, text: str) -> Prediction:
        return self.top_k(text, 1)[0]

    def classify_many(self, texts: Iterable[str]) -> list[Prediction]:
        return [self.classify(t) for t in texts]


@lru_cache(maxsize=4)
def default_classifier(market: str) -> CategoryClassifier:
    """The classifier over the shipped tree of `market` (cached per process)."""
    return CategoryClassifier(load_tree(market), market)
