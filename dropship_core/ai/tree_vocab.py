"""Category vocabulary built from the category tree itself, matched on whole Korean words.

Every node of the tree names its product with a path segment ("블루투스셋>블루투스이어폰/이어셋").
Each segment is split on "/" and analysed with Kiwi (`kiwipiepy`, a maintained Korean
morphological analyser that ships its model on PyPI, Apache-2.0) into:

- FULL terms: the whole part without spaces ("블루투스이어폰", "이어셋"),
- HEAD terms: the last noun of a compound part ("이어폰": Korean compounds end in their head),
- MOD terms: the other nouns of the compound ("블루투스": an attribute telling siblings apart).

Curated seller words of `category_lexicon.yaml` join their node as FULL terms (a lower weight).

A product name is analysed word by word, without Kiwi (word_analysis.py: the trees' words are
known, other words are split by the trees' own terms). Its terms are its nouns and
foreign words, their adjacent joins ("블루투스"+"이어폰" = "블루투스이어폰") and its
space-separated words; a word matches a term when equal, or when the word ends with the term and what precedes is at least two
characters ("게이밍의자" → 의자), so a short term inside a longer word never matches
("보드" in "키보드", "랩" in "플랩"). Korean names put the product last: later nouns weigh more.

A leaf's score sums, over the nodes of its path, the node's best match times a level weight
(the leaf itself most). Sibling leaves differing by an attribute (무선/유선, 남성/여성) get a
bonus when the name carries their attribute and a malus when it carries the opposite one. Gated
branches (books, vouchers, ...) start below zero unless the name carries one of their cue words.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import yaml

from dropship_core.ai.categories import CategoryRow
from dropship_core.ai.word_analysis import (  # noqa: F401 (re-exported: norm, nouns, clear_caches, CACHES)
    CACHES, STOP, clear_caches, index_nouns, learn_terms, norm, nouns, tagged_nouns)

FULL, HEAD, MOD, LEX = 1.0, 0.75, 0.2, 0.8
SUFFIX = 0.8  # a name word ending with a term (prefix of two characters or more)
LEVEL_W = {1: 0.15, 2: 0.35, 3: 0.5, 4: 0.6}  # inner nodes by depth; the leaf itself weighs 1
ATTR_BONUS, ATTR_MALUS = 0.25, 0.45
GATE = 0.6
POS_MIN = 0.6  # weight of the first noun of a name; the last (the product noun) weighs 1
OPPOSITES = {
    "무선": {"유선"}, "유선": {"무선"}, "남성": {"여성"}, "여성": {"남성"},
    "남아": {"여아"}, "여아": {"남아"}, "아동": {"성인"}, "성인": {"아동", "유아동"},
    "국내": {"수입", "해외"}, "수입": {"국내"}, "전기": {"가스"}, "가스": {"전기"},
}
# words that say who a product is for, unified before matching (the original word is replaced)
NAME_SYNONYMS = {
    "남자": "남성", "여자": "여성", "맨": "남성", "우먼": "여성", "옴므": "남성", "포맨": "남성",
    "키즈": "아동", "어린이": "아동", "유아": "아동", "주니어": "아동", "남녀공용": "",
    "핸드폰": "휴대폰", "폰": "휴대폰",
}
SYNONYMS_YAML = Path(__file__).parent / "data" / "tree_synonyms.yaml"


@lru_cache(maxsize=1)
def seller_synonyms() -> dict[str, tuple[str, ...]]:
    """Seller word → tree words (tree_synonyms.yaml), normalised, spaces removed; a tree word
    with "/" gives each of its parts ("셔츠/남방" → 셔츠, 남방), as the tree's index holds them."""
    doc = yaml.safe_load(SYNONYMS_YAML.read_text(encoding="utf-8")) or {}
    out = {}
    for k, v in (doc.get("synonyms") or {}).items():
        key = norm(str(k)).replace(" ", "")
        parts = tuple(p for p in (norm(x).replace(" ", "") for x in str(v).split("/")) if p and p != key)
        if parts:
            out[key] = parts
    return out


@lru_cache(maxsize=1)
def colour_words() -> frozenset[str]:
    from dropship_core.ai.text import attribute_lexicon

    out = set()
    for canon, aliases in (attribute_lexicon().get("color") or {}).items():
        out |= {norm(str(a)).replace(" ", "") for a in [canon, *(aliases or [])]}
    return frozenset(out)


@lru_cache(maxsize=1)
def _skip_words() -> frozenset[str]:
    return frozenset(STOP) | colour_words()


@dataclass(frozen=True)
class Query:
    terms: dict[str, float]  # term -> position weight (the product noun last weighs most)
    words: set[str]  # every normalised word and noun (for cues and attributes)
    known: frozenset[str] = frozenset()  # dictionary nouns: matched whole, never by their tail


def analyse(name: str) -> Query:
    text = norm(name)
    skip = _skip_words()
    tagged = tagged_nouns(text)
    known = frozenset(n for n, k in tagged if k)
    ns = [NAME_SYNONYMS.get(n, n) for n, _ in tagged]
    ns = [n for n in ns if n and n not in skip and not n.isdigit()]
    words = [w for w in text.split() if not w.isdigit() and w not in skip]
    syn = seller_synonyms()
    terms: dict[str, float] = {}
    k = len(ns)
    for i, n in enumerate(ns):
        w = POS_MIN + (1 - POS_MIN) * (i / (k - 1) if k > 1 else 1.0)
        terms[n] = max(terms.get(n, 0.0), w)
        if i + 1 < k:  # adjacent nouns joined (블루투스 + 이어폰)
            j = ns[i] + ns[i + 1]
            terms[j] = max(terms.get(j, 0.0), POS_MIN + (1 - POS_MIN) * ((i + 1) / (k - 1)))
    for i, wd in enumerate(words):
        if wd not in terms and len(wd) >= 2:
            terms[wd] = POS_MIN + (1 - POS_MIN) * (i / max(1, len(words) - 1))
    for t, w in list(terms.items()):
        for alt in syn.get(t, ()):
            if terms.get(alt, 0.0) < w:
                terms[alt] = w
    return Query(terms, set(terms) | set(words) | set(ns), known)


@lru_cache(maxsize=1)
def _common_syllables() -> tuple[str, ...]:
    """The 2,350 Hangul syllables of KS X 1001 (a one-syllable word is analysed from this table)."""
    out = []
    for cp in range(0xAC00, 0xD7A4):
        if len(chr(cp).encode("euc-kr")) == 2:  # others take an 8-byte jamo sequence
            out.append(chr(cp))
    return tuple(out)


def _ranges(ix: np.ndarray) -> list[tuple[int, int]]:
    """Sorted distinct leaf numbers as [lo, hi) runs (slices beat fancy indexing)."""
    breaks = np.flatnonzero(np.diff(ix) != 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks + 1, [len(ix)]))
    return [(int(ix[a]), int(ix[b - 1]) + 1) for a, b in zip(starts, ends)]


def _group(keys: np.ndarray, vals: np.ndarray, count: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct keys with the largest of their values and the sum of their values (or with
    `count`, how many there are). Sorting beats np.unique and ufunc.at here."""
    o = keys.argsort(kind="stable")
    ks, vs = keys[o], vals[o]
    starts = np.flatnonzero(np.concatenate(([True], ks[1:] != ks[:-1])))
    other = np.diff(np.append(starts, len(ks))) if count else np.add.reduceat(vs, starts)
    return ks[starts], np.maximum.reduceat(vs, starts), other


class TreeVocab:
    """Leaf scores of one market's tree from the tree's own words (plus curated seller words)."""

    def __init__(self, rows: Sequence[CategoryRow], lexicon_paths: dict | None = None,
                 gates: dict | None = None):
        self.leaves = [r for r in rows if r.is_leaf]
        self.paths = [r.full_path for r in self.leaves]

        self.n = len(self.leaves)
        nodes: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(self.paths):
            parts = p.split(">")
            for d in range(1, len(parts) + 1):
                nodes[">".join(parts[:d])].append(i)
        leaf_set = set(self.paths)
        self.node_names = list(nodes)
        self.node_idx = [np.array(nodes[k], dtype=np.int32) for k in self.node_names]
        self.node_w = [1.0 if k in leaf_set else LEVEL_W.get(k.count(">") + 1, 0.6)
                       for k in self.node_names]
        self.index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.attrs: dict[int, set[str]] = {}
        for j, node in enumerate(self.node_names):
            self._add_segment(j, node.split(">")[-1], leaf=node in leaf_set)
        for node, words in (lexicon_paths or {}).items():
            j = self._node_ix().get(node)
            if j is None:
                continue
            for w in words:
                key = norm(str(w)).replace(" ", "")
                if len(key) >= 2:
                    self.index[key].append((j, LEX))
        # a term naming many nodes says less (케이스, 세트)
        self.idf = {t: 1.0 / (1.0 + 0.35 * math.log(len({j for j, _ in hits})))
                    for t, hits in self.index.items()}
        self.maxlen = max(len(t) for t in self.index)
        by_attr: dict[str, list[np.ndarray]] = defaultdict(list)
        for j, attrs in self.attrs.items():
            for a in attrs:
                by_attr[a].append(self.node_idx[j])
        self.attr_leaves = {a: np.unique(np.concatenate(v)) for a, v in by_attr.items()}
        # each attribute's leaves as a few slices, or as one index array when they are scattered
        # each attribute's leaves as runs [lo, hi): spread with the nodes' scores (`scores`)
        self.attr_ranges = {a: tuple(np.array(x, dtype=np.int64) for x in zip(*_ranges(ix)))
                            for a, ix in self.attr_leaves.items()}
        self.gates = []
        for node, cues in (gates or {}).items():
            j = self._node_ix().get(node)
            if j is not None:
                words = sorted({norm(str(c)).replace(" ", "") for c in cues} - {""}, key=len, reverse=True)
                self.gates.append((self.node_idx[j], re.compile("|".join(map(re.escape, words)))))
        self._arrays()
        terms = [*self.index, *seller_synonyms()]
        learn_terms([*terms, *_common_syllables()], terms,
                    [t for t, (j, _) in self.harr.items() if len(j) and len(t) >= 2 and not t.isascii()])

    def _arrays(self) -> None:
        """Precomputed arrays. Leaves are in path order, so the leaves under any node are one
        range [lo, hi): a node's score is spread over its leaves with a difference array and
        one cumulative sum instead of touching each leaf."""
        for ix in self.node_idx:
            if ix[-1] - ix[0] + 1 != len(ix):
                raise ValueError("category rows must be in path order (leaves under a node contiguous)")
        self.n_nodes = len(self.node_names)
        self.node_w_arr = np.array(self.node_w, dtype=np.float32)
        self.lo = np.array([ix[0] for ix in self.node_idx], dtype=np.int64)
        self.hi = np.array([ix[-1] + 1 for ix in self.node_idx], dtype=np.int64)
        # every term's postings as arrays (all of them, and the heads only for suffix matches)
        self.karr: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.harr: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, hits in self.index.items():
            self.karr[term] = (np.array([j for j, _ in hits], dtype=np.int64),
                               np.array([w for _, w in hits], dtype=np.float64))
            heads = [(j, w) for j, w in hits if w >= HEAD]
            self.harr[term] = (np.array([j for j, _ in heads], dtype=np.int64),
                               np.array([w for _, w in heads], dtype=np.float64))
        self.gate_all = np.zeros(self.n, dtype=np.float32)
        self.gate_ranges = []
        for idx, cues in self.gates:
            self.gate_all[idx] += GATE
            self.gate_ranges.append((int(idx[0]), int(idx[-1]) + 1, cues))
        self._hits: dict[tuple[str, bool], list] = {}
        CACHES.append(self._hits.clear)
        self.any_cue = re.compile("|".join(c.pattern for _, c in self.gates)) if self.gates else None

    def _node_ix(self) -> dict[str, int]:
        if not hasattr(self, "_nix"):
            self._nix = {k: j for j, k in enumerate(self.node_names)}
        return self._nix

    def _add_segment(self, j: int, seg: str, leaf: bool) -> None:
        for part in seg.split("/"):
            full = norm(part).replace(" ", "")
            if not full or full in STOP:
                continue
            self.index[full].append((j, FULL))
            ns = [n for n in index_nouns(part) if n not in STOP and n != "기타"]
            if len(ns) >= 2:
                self.index[ns[-1]].append((j, HEAD))
                for m in ns[:-1]:
                    self.index[m].append((j, MOD))
                self.attrs.setdefault(j, set()).update(ns[:-1])
            elif ns and ns[0] != full:
                self.index[ns[0]].append((j, HEAD))

    def _term_hits(self, term: str, whole: bool):
        """`_match` remembered per term for the batch (emptied by clear_caches)."""
        key = (term, whole)
        got = self._hits.get(key)
        if got is None:
            if len(self._hits) > 100_000:
                self._hits.clear()
            got = self._hits[key] = self._match(term, whole)
        return got

    def _match(self, term: str, whole: bool) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """(node numbers, weights, factor) of the nodes a name term matches: equal terms, or
        terms the word ends with, heads only (not for a dictionary noun: "아이보리" does not end
        in "보리"; a one-character term counts half)."""
        got = self.karr.get(term)
        tail = None
        if not whole and len(term) >= 4:
            harr = self.harr
            for cut in range(2, min(len(term) - 1, self.maxlen + 2)):
                tail = harr.get(term[cut:])
                if tail is not None:
                    break
        if got is None and tail is None:
            return ()
        idf = self.idf.get(term) or self.idf.get(term[-self.maxlen:], 0.8)
        out = []
        if got is not None:
            out.append((got[0], got[1], idf * (0.5 if len(term) == 1 else 1.0)))
        if tail is not None:
            out.append((tail[0], tail[1], idf * SUFFIX))
        return out

    def scores(self, name: str, opened: frozenset[int] = frozenset()) -> np.ndarray:
        """Every leaf's score; `opened`: gates (numbers in gate_ranges) open whatever the name
        says (the ranker's known brand selling under a gated node)."""
        q = analyse(name)
        js, ws, fs = [], [], []
        for term, pos in q.terms.items():
            for j, w, f in self._term_hits(term, term in q.known):
                js.append(j)
                ws.append(w)
                fs.append(f * pos)
        lens = [len(x) for x in js]
        los, his, vals = self._attributes(q)
        if sum(lens):
            # per node: its best match, plus a quarter of every other match, capped
            j = np.concatenate(js)
            v = np.concatenate(ws) * np.array(fs).repeat(lens)
            u, best, total = _group(j, v)
            los.append(self.lo[u])
            his.append(self.hi[u])
            vals.append(np.minimum(1.4, best + 0.25 * (total - best)) * self.node_w_arr[u])
        if los:
            # each node's (and attribute's) score over its leaves [lo, hi): the running sum
            # between the sorted range ends, repeated over each stretch (cheaper than a
            # cumulative sum over every leaf)
            val = np.concatenate(vals)
            ends = np.concatenate((*los, *his))
            o = ends.argsort(kind="stable")
            run = np.concatenate(([0.0], np.concatenate((val, -val))[o].cumsum()))
            stretch = np.diff(np.concatenate(([0], ends[o], [self.n])))
            # every gated branch starts below zero (a cue in the name lifts it back, below)
            out = run.astype(np.float32).repeat(stretch) - self.gate_all
        else:
            out = -self.gate_all
        flat = norm(name).replace(" ", "")
        # a cue even inside a longer word counts (카시트 in 카시트인형거울)
        cue = self.any_cue is not None and self.any_cue.search(flat) is not None  # most names carry no cue
        if cue or opened:
            for g, (lo, hi, cues) in enumerate(self.gate_ranges):
                if g in opened or (cue and cues.search(flat)):
                    out[lo:hi] += GATE
        return out

    def _attributes(self, q: Query) -> tuple[list, list, list]:
        """Siblings that differ by an attribute: the name's attribute wins, its opposite loses.
        (leaf runs' starts, ends and values, to spread with the nodes' scores)"""
        los, his, vals = [], [], []
        for w in q.words & self.attr_ranges.keys():
            lo, hi = self.attr_ranges[w]
            los.append(lo)
            his.append(hi)
            vals.append(np.full(len(lo), ATTR_BONUS))
        for w in q.words & OPPOSITES.keys():
            for o in OPPOSITES[w]:
                if o not in q.words and o in self.attr_ranges:
                    lo, hi = self.attr_ranges[o]
                    los.append(lo)
                    his.append(hi)
                    vals.append(np.full(len(lo), -ATTR_MALUS))
        return los, his, vals
