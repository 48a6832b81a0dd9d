"""The classifier's index, built once per market from the category tree and the lexicon:
TF-IDF postings of every leaf's path, keyword tables (leaf and node names, curated words),
gates and demotions. `classifier.py` scores names against it."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import yaml

from dropship_core.ai.categories import CategoryRow
from dropship_core.ai.tree_vocab import CACHES, norm
from dropship_core.ai.text import attribute_lexicon, brand_hints, leaf_term_docs

DATA_DIR = Path(__file__).parent / "data"
LEXICON_YAML = DATA_DIR / "category_lexicon.yaml"

# Level weights in a leaf document: leaf name, parent, grandparent, ..., top level last.
_LEVEL_W = (3.0, 1.4, 0.9, 0.6, 0.5)
_LEXICON_DOC_W = 2.0
# Rule boosts.
_KW_LEAF = 0.9  # lexicon keyword naming a leaf
_KW_NODE = 0.30  # lexicon keyword naming an inner node
_NAME_LEAF = 0.30  # a leaf's own name found in the product name (scaled by how specific it is)
_NAME_NODE = 0.12  # an inner node's name found in the product name
_CUE = 0.2  # a gate cue word found: branch evidence
_INNER = 0.5  # a leaf keyword found only inside a longer keyword
_CTX = 1.0  # extra share of branch evidence for leaves that also match a product word
_ACCESSORY = 0.35  # a demotion rule's branches, when the name has one of its words
_EXTRA = 0.1  # each further leaf keyword after the strongest
_BRAND = 0.25
_GATE = 0.35
_GENDER = 0.15
_MODIFIER_NEXT = {"겸용", "호환", "전용", "대응", "사용"}
_STOP = {"기타", "용품", "세트", "및", "기타용품", "액세서리", "소품", "일반", "관련용품"}


@dataclass(frozen=True)
class Prediction:
    category_id: str
    path: str
    confidence: float
    score: float = 0.0

    def as_dict(self) -> dict:
        return {"id": self.category_id, "path": self.path, "confidence": self.confidence}


def _norm(text: str) -> str:
    return norm(text)


def _tokens(text: str) -> list[str]:
    return [t for t in _norm(text).split() if t]


@lru_cache(maxsize=65536)
def _token_features(t: str) -> tuple[tuple[str, float], ...]:
    """A token's features: the whole word (two characters or more) and its 2-/3-grams at half
    weight (a repeated gram counts each time)."""
    out = [("w:" + t, 1.0)] if len(t) >= 2 else []
    for n in (2, 3):
        if len(t) > n:
            out += [("g:" + t[i:i + n], 0.5) for i in range(len(t) - n + 1)]
    return tuple(out)


def _features(tokens: Iterable[str], weak: dict[str, float] | None = None) -> dict[str, float]:
    f: dict[str, float] = defaultdict(float)
    for t in tokens:
        # numbers and measures (500ml, v12) say nothing about the category
        if t in _STOP or not t.isalpha():  # tokens are [0-9a-z가-힣]: not alpha = has a digit
            continue
        w = weak.get(t, 1.0) if weak else 1.0
        for k, b in _token_features(t):
            f[k] += b * w
    return f


@lru_cache(maxsize=1)
def load_lexicon(path: str | None = None) -> dict:
    """The curated lexicon; the shipped one also takes the per-branch seller words of
    `data/leaf_terms/*.yaml` into its `smartstore` section (a path's words are appended)."""
    doc = yaml.safe_load(Path(path or LEXICON_YAML).read_text(encoding="utf-8")) or {}
    if path is None:
        section = doc.setdefault("smartstore", {})
        for path_, words in leaf_terms().items():
            have = section.setdefault(path_, [])
            have.extend(w for w in words if w not in have)
    return doc


def leaf_terms() -> dict[str, list[str]]:
    """SmartStore path → seller words, from every `data/leaf_terms/*.yaml` (see its README)."""
    out: dict[str, list[str]] = {}
    for doc in leaf_term_docs():
        for path_, words in (doc.get("terms") or {}).items():
            have = out.setdefault(str(path_), [])
            have.extend(str(w) for w in words or () if str(w) not in have)
    return out


class ClassifierIndex:
    """Index-building half of `CategoryClassifier` (its __init__ calls these once)."""

    leaves: list[CategoryRow]

    def _read_lexicon(self, lexicon: dict, market: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        self.synonyms: dict[str, list[str]] = {}
        for k, v in (lexicon.get("synonyms") or {}).items():
            self.synonyms[_norm(str(k)).replace(" ", "")] = [str(x) for x in (v if isinstance(v, list) else [v])]
        market_lex: dict[str, list[str]] = lexicon.get(market) or {}
        # words that say little about the category (colours, sizes, selling words)
        self.weak: dict[str, float] = {}
        for w, f in (lexicon.get("weak_words") or {}).items():
            self.weak[_norm(str(w)).replace(" ", "")] = float(f)
        for canon, aliases in (attribute_lexicon().get("color") or {}).items():
            for a in [canon, *(aliases or [])]:
                self.weak.setdefault(_norm(str(a)).replace(" ", ""), 0.15)
        gates: dict[str, list[str]] = (lexicon.get("gates") or {}).get(market) or {}

        return market_lex, gates

    def _index_tree(self, market_lex: dict[str, list[str]]) -> set[str]:
        self.paths = [r.full_path for r in self.leaves]
        leaf_set = set(self.paths)
        self.ids = [r.category_id for r in self.leaves]
        self.tops = [r.full_path.split(">")[0] for r in self.leaves]
        self.top_names = sorted(set(self.tops))
        top_ix = {t: i for i, t in enumerate(self.top_names)}
        self.top_of = np.array([top_ix[t] for t in self.tops], dtype=np.int32)
        self._top_members = [np.nonzero(self.top_of == i)[0] for i in range(len(self.top_names))]
        self._top_perm = np.concatenate(self._top_members)
        self._top_starts = np.cumsum([0] + [len(m) for m in self._top_members[:-1]])
        self.parent_of = [p.rsplit(">", 1)[0] if ">" in p else p for p in self.paths]
        parent_ix = {p: i for i, p in enumerate(sorted(set(self.parent_of)))}
        self.parent_arr = np.array([parent_ix[p] for p in self.parent_of], dtype=np.int32)

        # node path → indices of the leaves under it (every prefix of every leaf path)
        under: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(self.paths):
            parts = p.split(">")
            for d in range(1, len(parts) + 1):
                under[">".join(parts[:d])].append(i)
        self._under = {k: np.array(v, dtype=np.int32) for k, v in under.items()}
        self.unknown_lexicon_paths = sorted(k for k in market_lex if k not in self._under)

        return leaf_set

    def _build_postings(self, market_lex: dict[str, list[str]]) -> None:
        n = len(self.leaves)
        # --- documents
        docs: list[dict[str, float]] = []
        seg_cache: dict[str, list[tuple[str, float]]] = {}  # parents repeat across thousands of leaves
        for i, p in enumerate(self.paths):
            parts = p.split(">")
            f: dict[str, float] = defaultdict(float)
            for depth, seg in enumerate(reversed(parts)):
                w = _LEVEL_W[min(depth, len(_LEVEL_W) - 1)]
                feats = seg_cache.get(seg)
                if feats is None:
                    toks = _tokens(seg.replace("/", " ")) + [seg.replace("/", "").replace(" ", "").lower()]
                    feats = seg_cache[seg] = list(_features(toks).items())
                for k, v in feats:
                    f[k] += w * v
            kws = market_lex.get(p) or []
            for k, v in _features(_tokens(" ".join(map(str, kws)))).items():
                f[k] += _LEXICON_DOC_W * v / max(1.0, math.sqrt(len(kws)))
            docs.append(f)
        df: dict[str, int] = defaultdict(int)
        for f in docs:
            for k in f:
                df[k] += 1
        self.idf = {k: math.log((n + 1) / (c + 0.5)) for k, c in df.items()}
        # one flat (term, leaf, weight) list, grouped by term with numpy
        term_ix = {k: j for j, k in enumerate(df)}
        terms, leaf_ix, weights = [], [], []
        idf = self.idf
        for i, f in enumerate(docs):
            vec = [(k, v * idf[k]) for k, v in f.items()]
            norm = math.sqrt(sum(x * x for _, x in vec)) or 1.0
            for k, v in vec:
                terms.append(term_ix[k])
                leaf_ix.append(i)
                weights.append(v / norm)
        t_arr = np.array(terms, dtype=np.int32)
        order = np.argsort(t_arr, kind="stable")
        l_arr = np.array(leaf_ix, dtype=np.int32)[order]
        w_arr = np.array(weights, dtype=np.float32)[order]
        bounds = np.searchsorted(t_arr[order], np.arange(len(term_ix) + 1))
        self._post = {
            k: (l_arr[bounds[j]:bounds[j + 1]], w_arr[bounds[j]:bounds[j + 1]]) for k, j in term_ix.items()
        }


    def _build_keywords(self, market_lex: dict[str, list[str]], leaf_set: set[str]) -> None:
        # --- rule keywords: normalised spaceless keyword → list of (leaf indices, boost)
        # kind: "leaf" (names one leaf, or a leaf name shared by a few) or "node" (a branch)
        kw: dict[str, list[tuple[np.ndarray, float, str]]] = defaultdict(list)
        for node, words in market_lex.items():
            idx = self._under.get(node)
            if idx is None:
                continue
            is_leaf = len(idx) == 1 and node in leaf_set
            for w in words:
                key = _norm(str(w)).replace(" ", "")
                if len(key) >= 2 or (len(key) == 1 and not key.isascii()):
                    kw[key].append((idx, _KW_LEAF, "leaf") if is_leaf else (idx, _KW_NODE, "node"))
        name_leaves: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(self.paths):
            leaf = p.split(">")[-1]
            for part in {leaf.replace("/", ""), *leaf.split("/")}:
                key = _norm(part).replace(" ", "")
                if len(key) >= 2 and not key.startswith("기타") and key not in _STOP:
                    name_leaves[key].append(i)
        for key, idxs in name_leaves.items():
            spec = 1.0 / (1.0 + math.log(len(idxs)))
            kw[key].append((np.array(idxs, dtype=np.int32), _NAME_LEAF * spec, "leaf"))
        for node, idx in self._under.items():
            seg = node.split(">")[-1]
            if node in leaf_set or ">" not in node:
                continue
            for part in {seg.replace("/", ""), *seg.split("/")}:
                key = _norm(part).replace(" ", "")
                if len(key) >= 2 and not key.startswith("기타") and key not in _STOP:
                    kw[key].append((idx, _NAME_NODE, "node"))
        self._kw = dict(kw)

    def _build_gates(self, gates: dict, market_lex: dict[str, list[str]], lexicon: dict, market: str) -> None:
        n = len(self.leaves)
        # gated nodes: their leaves lose _GATE unless the name carries one of the node's cue words
        # (or a curated keyword of a path under it). Stops 도서>잡지>여성/남성/패션 winning
        # every "여성 ..." name, or 관상어용품>히터 winning heaters.
        self._gates: list[tuple[np.ndarray, set[str], str]] = []
        for node, cues in gates.items():
            idx = self._under.get(node)
            if idx is None:
                self.unknown_lexicon_paths.append(node)
                continue
            keys = {_norm(str(c)).replace(" ", "") for c in cues}
            for lp, words in market_lex.items():
                if lp == node or lp.startswith(node + ">"):
                    keys |= {_norm(str(w)).replace(" ", "") for w in words}
            self._gates.append((idx, keys, node))
            # a gate's own cue words are branch evidence too (교환권 → vouchers)
            for c in cues:
                key = _norm(str(c)).replace(" ", "")
                if len(key) >= 2:
                    self._kw.setdefault(key, []).append((idx, _CUE, "node"))
            for key in keys:
                self._kw.setdefault(key, [])
        self._gate_all = np.zeros(n, dtype=np.float32)
        for idx, _keys, _node in self._gates:
            self._gate_all[idx] += _GATE
        # demotions: (words, leaf indices) — a rule's word in the name pushes its branches down
        self._demote: list[tuple[set[str], np.ndarray]] = []
        for rule in lexicon.get("demote") or []:
            words = {_norm(str(w)).replace(" ", "") for w in rule.get("words") or []}
            paths = rule.get(market) or []
            self.unknown_lexicon_paths += [p for p in paths if p not in self._under]
            idx = [self._under[p] for p in paths if p in self._under]
            if words and idx:
                self._demote.append((words, np.unique(np.concatenate(idx))))
                for key in words:
                    self._kw.setdefault(key, [])

    def _index_keywords(self, market: str) -> None:
        self._kw_maxlen = max((len(k) for k in self._kw), default=2)
        # split by kind: leaf entries keep (indices, boost); node entries are merged per keyword
        # into one (indices, weights) pair that joins the similarity bincount
        self._kw_leaf: dict[str, list[tuple[np.ndarray, float]]] = {}
        self._kw_node: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for key, entries in self._kw.items():
            leaf_e = [(idx, b) for idx, b, kind in entries if kind == "leaf"]
            node_e = [(idx, b) for idx, b, kind in entries if kind == "node"]
            if leaf_e:
                self._kw_leaf[key] = leaf_e
            if node_e:
                self._kw_node[key] = (
                    np.concatenate([idx for idx, _ in node_e]),
                    np.concatenate([np.full(len(idx), b, dtype=np.float32) for idx, b in node_e]),
                )
        # index keywords by their first two characters: the scan only tries lengths that exist
        lens: dict[str, set[int]] = defaultdict(set)
        for key in self._kw:
            lens[key[:2]].add(len(key))
        self._kw_lens = {k: sorted(v, reverse=True) for k, v in lens.items()}
        # gender: leaves under a 남성/여성 node
        self._gender = {}
        for g, words in (("남성", ("남성",)), ("여성", ("여성",))):
            idx = [i for i, p in enumerate(self.paths) if any(w in seg and "여성/남성" not in seg for seg in p.split(">") for w in words)]
            self._gender[g] = np.array(idx, dtype=np.int32)
        # brand → the leaves under the node(s) it sells in (SmartStore paths)
        self._brand_hint = {}
        for b, nodes in (brand_hints().items() if market == "smartstore" else ()):
            idx = [self._under[p] for p in nodes if p in self._under]
            if idx:
                self._brand_hint[b] = idx[0] if len(idx) == 1 else np.unique(np.concatenate(idx))


CACHES.append(_token_features.cache_clear)
