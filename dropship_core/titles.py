"""Title rules: clean a supplier's product name and fit it to a marketplace's limit."""

from __future__ import annotations

import re

from dropship_core.markets.names import TITLE_LIMITS

# Promotional noise sellers put in names, which marketplaces penalise or reject.
_NOISE = re.compile(
    r"(무료\s*배송|당일\s*발송|당일\s*출고|오늘\s*출발|특가|초특가|최저가|파격\s*세일|세일|할인|이벤트|신상품?|핫딜|"
    r"HOT|NEW|BEST|사은품\s*증정|1\+1|단독|한정\s*수량|빠른\s*배송|정품\s*보장)",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"[\[【〔\(（<「『][^\]】〕\)）>」』]{0,30}[\]】〕\)）>」』]")
_DECOR = re.compile(r"[★☆♥♡●◆◇■□▶▷※!~♪♬=*#@^]+")


def clean_title(name: str) -> str:
    """Strip bracketed promo tags, decorative symbols and noise words; normalise spacing;
    drop repeated words (Naver's SEO guide penalises them)."""
    s = name or ""
    s = _BRACKETS.sub(lambda m: " " if _NOISE.search(m.group(0)) or len(m.group(0)) <= 12 else m.group(0), s)
    s = _DECOR.sub(" ", s)
    s = _NOISE.sub(" ", s)
    s = re.sub(r"[\[\]【】()（）<>]", " ", s)
    s = re.sub(r"\s+", " ", s).strip(" -_/,.")
    seen: set[str] = set()
    words = []
    for w in s.split(" "):
        k = w.lower()
        if k in seen:
            continue
        seen.add(k)
        words.append(w)
    return " ".join(words)


def fit_title(title: str, market: str) -> str:
    """Cut `title` to the market's limit (characters, or UTF-8 bytes for ESM) on a word boundary."""
    limit = TITLE_LIMITS[market]
    if "chars" in limit:
        fits = lambda s: len(s) <= limit["chars"]  # noqa: E731
    else:
        fits = lambda s: len(s.encode("utf-8")) <= limit["bytes"]  # noqa: E731
    if fits(title):
        return title
    words = title.split(" ")
    out = ""
    for w in words:
        cand = f"{out} {w}".strip()
        if not fits(cand):
            break
        out = cand
    if not out:  # one very long word: cut by characters
        out = title
        while not fits(out):
            out = out[:-1]
    return out
