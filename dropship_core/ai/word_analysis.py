"""Nouns of product-name words, for the tree vocabulary (tree_vocab.py).

The words of the category trees, the curated lexicon and the seller synonyms are analysed with
Kiwi (`kiwipiepy`, a Korean morphological analyser that ships its model on PyPI, Apache-2.0)
once, when an index is built. A product name is analysed word by word without Kiwi (which costs
about 0.1 ms a word, a third of a name's cost when it analysed the unknown words of names):
words of Latin letters and digits, two-syllable words (nouns in product names) and words of the
trees are known; any other Hangul word goes through these rules, in order (on the tuning names
they rank as well as Kiwi's analysis did):

- a compound ending in a product noun of a tree: that noun and its modifier (게이밍의자);
- a noun and a derivational suffix 용/형/성/적/식 (가정용, 와이드형): the noun;
- an adjective form ending in 한/는/운/은/된/던 (촉촉한): its stem, not a dictionary noun;
- two terms of the trees (해외 + 거실), or a word ending or starting with one (저반사 + 필름);
- a noun and a particle 에/의/와/과/로/를/을/도/만 (아기의, 포켓에): the noun;
- a selling prefix (해외나이키): the rest;
- a term of the trees and one more syllable (미끼통 → 미끼 + 통);
- any other word: one noun (mostly loanwords and brands, which Kiwi keeps whole too).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path

STOP = {
    "기타", "용품", "세트", "및", "모음", "모음전", "기획", "기획전", "특가", "정품", "해외", "국내산",
    "무료배송", "무배", "당일발송", "당일", "발송", "증정", "사은품", "신상", "신제품", "인기", "최신형",
    "고급", "프리미엄", "개", "매", "팩", "입", "종", "택", "박스", "선택", "추가", "구성", "단품",
    "행사", "할인", "이벤트", "한정", "백화점", "공식", "판매", "직배송", "배송", "상품", "제품", "전용",
    "호환", "사용", "가능", "관련", "외", "등", "용", "형", "대", "중", "소", "컬러", "색상", "사이즈",
    "대형", "중형", "소형", "특대형", "초대형",
}
_TAGS = {"NNG", "NNP", "XR", "SL", "NR"}
MATCH = 0  # no URL/e-mail/hashtag/emoji matching: product names have none, and it costs ~25 %
_SUFFIX = frozenset("용형성적식")  # derivational suffixes Kiwi drops (가정용 → 가정)
_ADJ = frozenset("한는운은된던")  # adjective/verb endings (촉촉한 → 촉촉)
_JOSA = frozenset("에의와과로를을도만")  # particles (포켓에 → 포켓)

_NOT_WORD = re.compile(r"[^0-9a-z가-힣]+")
_LATIN = re.compile(r"[a-z]+")
_HANGUL2 = re.compile(r"[가-힣]{2}")
_RUNS = re.compile(r"[가-힣]+|[a-z]+|[0-9]+")
# words of the tree and the curated lexicon, analysed once when an index is built (part of the
# index, like its term table; not emptied by clear_caches)
_STATIC: dict[str, tuple[tuple[str, bool], ...]] = {}
_HEADS: set[str] = set()  # the trees' product nouns (terms matched as heads)
_KNOWN: set[str] = set()  # every Hangul term of two syllables or more of the trees and lexicon
CACHES: list = []  # other per-word caches (classifier_index), emptied by clear_caches too


@lru_cache(maxsize=4096)
def norm(text: str) -> str:
    """NFKC, lowercase, every run of other characters than digits, a-z and Hangul one space.
    Cached: the ranker's two scorers normalise the same name several times."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text or "").lower()).strip()


@lru_cache(maxsize=1)
def kiwi():
    """One Kiwi analyser per process (the model loads in under a second)."""
    from kiwipiepy import Kiwi

    return Kiwi()


@lru_cache(maxsize=65536)
def word_nouns(word: str) -> tuple[tuple[str, bool], ...]:
    """(noun, known) pairs of one space-free word of a product name. Product names repeat words
    (brands, product nouns), so a batch analyses each once."""
    return _word(word, True)


def _word(word: str, cheap: bool) -> tuple[tuple[str, bool], ...]:
    """Words of Latin letters and digits only need no analyser: their letter runs of two or more
    are the foreign words Kiwi would tag SL ("kf94" → "kf"). `cheap`: the rules of
    `_hangul_word` before Kiwi (names; the trees' own words always go through Kiwi)."""
    if word.isascii():
        return tuple((f, False) for f in _LATIN.findall(word) if len(f) >= 2)
    if len(word) == 2 and _HANGUL2.fullmatch(word):
        # a two-syllable word in a product name is a noun (the analyser cuts loanwords and
        # brands: 나시 → 시, 린넨 → 린, 뜰채 → nothing)
        return ((word, True),)
    got = _STATIC.get(word)
    if got is not None:
        return got
    runs = _RUNS.findall(word)
    if len(runs) > 1:
        # letters, digits and Hangul mixed (흰다리새우1kg, 4개, 갤럭시s21): each run on its own;
        # a short Hangul run right after a number is a counter (4개, 192정, 3미터)
        out: list[tuple[str, bool]] = []
        for i, r in enumerate(runs):
            if r[0].isdigit() or (i and runs[i - 1][0].isdigit() and len(r) <= 2 and not r.isascii()):
                continue
            out.extend(word_nouns(r) if cheap else _word(r, False))
        return tuple(out)
    for cut in range(1, len(word) - 1):
        # a compound ending in a product noun of a tree is that noun and its modifier
        # (게이밍의자 → 게이밍 + 의자): no analyser needed
        if word[cut:] in _HEADS:
            return ((word[:cut], True), (word[cut:], True)) if cut >= 2 else ((word, False),)
    # (before any index is built the trees' terms are unknown: Kiwi, as for the trees' words)
    return _hangul_word(word) if cheap and _KNOWN else _analysed(word)


def _hangul_word(word: str) -> tuple[tuple[str, bool], ...]:
    """The rules for a word of Hangul only of a product name (module docstring)."""
    n, last, stem = len(word), word[-1], word[:-1]
    if n >= 3 and last in _SUFFIX and (n == 3 or stem in _STATIC):
        return word_nouns(stem)
    if n >= 3 and last in _ADJ:
        return ((stem, False),)
    for cut in range(2, n - 1):
        a, b = word[:cut], word[cut:]
        if (cut == 2 or a in _KNOWN) and b in _KNOWN:
            return (*word_nouns(a), *word_nouns(b))
    if n >= 4:
        for cut in range(2, n - 1):
            if word[cut:] in _KNOWN:
                return (*word_nouns(word[:cut]), (word[cut:], True))
        for cut in range(n - 2, 1, -1):
            if word[:cut] in _KNOWN:
                return ((word[:cut], True), *word_nouns(word[cut:]))
    if n >= 3 and last in _JOSA and (n == 3 or stem in _KNOWN):
        return word_nouns(stem)
    if n >= 4 and word[:2] in STOP:
        return word_nouns(word[2:])
    if n >= 3 and stem in _KNOWN:
        return ((stem, True), (last, False))
    # any other word: one noun (mostly loanwords and brands, which Kiwi keeps whole too); a
    # longer one may still match a tree's product noun at its end (`TreeVocab._match`)
    return ((word, n <= 3),)


def _analysed(word: str) -> tuple[tuple[str, bool], ...]:
    """Kiwi's nouns of a word of the trees or the lexicon, remembered on disk between processes
    (`analysis_cache`): an index build analyses some 35,000 words, about 7 s of Kiwi."""
    memo = _memo()
    got = memo.get(word)
    if got is None:
        got = memo[word] = _kiwi_analysed(word)
        _MEMO_STATE["dirty"] = True
    return got


_MEMO_STATE: dict = {"memo": None, "dirty": False}


def analysis_cache() -> Path | None:
    """Where Kiwi's analyses of the trees' words are kept: one JSON file per Kiwi and model
    version under $DROPSHIP_CACHE_DIR, else $XDG_CACHE_HOME/dropship, else ~/.cache/dropship;
    none with DROPSHIP_CACHE_DIR=off. Only a speed-up: the same analyses are computed when
    the file is absent, unreadable or unwritable."""
    base = os.environ.get("DROPSHIP_CACHE_DIR")
    if base == "off":
        return None
    if not base:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
                            "dropship")
    from importlib.metadata import PackageNotFoundError, version

    def v(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "none"
    return Path(base) / f"kiwi-nouns-{v('kiwipiepy')}-{v('kiwipiepy_model')}-m{MATCH}.json"


def _memo() -> dict:
    memo = _MEMO_STATE["memo"]
    if memo is None:
        memo = {}
        path = analysis_cache()
        try:
            if path is not None and path.is_file():
                memo = {w: tuple((f, bool(k)) for f, k in pairs)
                        for w, pairs in json.loads(path.read_text(encoding="utf-8")).items()}
        except (OSError, ValueError, TypeError):
            memo = {}
        _MEMO_STATE["memo"] = memo
    return memo


def save_analyses() -> None:
    """Write the remembered analyses if this process added any (atomically: a concurrent
    reader sees the old file or the new one)."""
    path = analysis_cache()
    if not _MEMO_STATE["dirty"] or path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({w: [list(p) for p in pairs] for w, pairs in _MEMO_STATE["memo"].items()}, fh,
                      ensure_ascii=False)
        os.replace(tmp, path)
        _MEMO_STATE["dirty"] = False
    except OSError:
        pass


def _kiwi_analysed(word: str) -> tuple[tuple[str, bool], ...]:
    out = []
    # the best analysis straight from Kiwi.analyze (what tokenize returns, without its wrapper)
    for t in kiwi().analyze(word, top_n=1, match_options=MATCH)[0][0]:
        if t.tag in _TAGS:
            f = t.form.lower()
            if t.tag == "SL" and len(f) < 2:
                continue
            out.append((f, t.tag == "NNG" and len(f) >= 2))
    return tuple(out)


@lru_cache(maxsize=8192)
def tagged_nouns(text: str) -> tuple[tuple[str, bool], ...]:
    """(noun, known) pairs of `text`, lowercased, in order; `known` for a dictionary noun (NNG)
    of two or more characters, which is never cut into a shorter term. Analysed word by word
    (space-separated words of a product name are analysed alike on their own)."""
    return tuple(p for w in text.split() for p in word_nouns(w))


def clear_caches() -> None:
    """Forget every analysed name and word (benchmarks: each pass then costs what unseen names
    cost)."""
    tagged_nouns.cache_clear()
    word_nouns.cache_clear()
    norm.cache_clear()
    for clear in CACHES:
        clear()


def nouns(text: str) -> tuple[str, ...]:
    """Nouns and foreign words of `text`, lowercased, in order."""
    return tuple(n for n, _ in tagged_nouns(text))


def index_nouns(text: str) -> tuple[str, ...]:
    """Nouns of a tree segment or lexicon word, by Kiwi (whatever the trees built before)."""
    return tuple(n for w in text.split() for n, _ in _word(w, False))


def learn_terms(static_words, terms, heads) -> None:
    """Index build: analyse the trees' words once with Kiwi, remember their terms and heads."""
    for key in static_words:
        if (len(key) > 2 or len(key) == 1) and not key.isascii() and key not in _STATIC:
            _STATIC[key] = _analysed(key)
    _KNOWN.update(t for t in terms if len(t) >= 2 and not t.isascii())

    _HEADS.update(heads)
    save_analyses()
    clear_caches()  # words analysed before these terms were known
