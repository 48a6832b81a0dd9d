"""Labelled specifications in a product's description: '색상: 화이트', '평량 : 55g',
'모델명：BT-100' — how supplier detail pages state what the product is when its name and
options do not. A seller fills a market's required attribute from them; so does the listing.

Only `label: value` pairs count (no guessing from free text); a value that defers to the detail
page ('상세설명 참조') or names several values ('화이트/블랙') is no value.
"""

from __future__ import annotations

import re

from dropship_core.markets.options import norm_axis

_SEGMENTS = re.compile(r"[\n|·•▶■□◆◇※]|\s/\s|,\s")
# a label starts with a letter, or with a count that qualifies a word ('1장당 칸 수')
_PAIR = re.compile(r"^\s*[-*]?\s*\[?((?:[가-힣A-Za-z]|\d+[가-힣])[가-힣A-Za-z0-9 ()]{0,14}?)\]?\s*[:：]\s*"
                   r"(.{1,40}?)\s*$")
_DEFERRED = ("상세", "참조", "별도 표기", "별도표기", "문의")
SPEC_LABELS = {          # supplier spec labels for the facts the markets ask for
    "material": ("소재", "재질", "원단", "제품 소재", "제품소재", "주소재"),
    "model": ("모델명", "모델", "품번", "모델번호"),
    "origin": ("원산지", "제조국", "생산지"),
    "manufacturer": ("제조사", "제조자", "제조원", "제조업체"),
}


def _clean(value: str) -> str | None:
    v = value.strip().strip(".;")
    if not v or any(w in v for w in _DEFERRED) or "/" in v or "," in v:
        return None
    return v


_CELL_PAIR = re.compile(r"</t[hd]>\s*<t[hd][^>]*>", re.IGNORECASE)
_BLOCK = re.compile(r"<\s*(?:br|/?p|/?div|/?li|/?tr|/?table|/?ul|/?ol|/?h[1-6])\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def plain_text(text: str) -> str:
    """A detail page's HTML as lines: blocks and rows break lines, a table row's label and value
    cells become 'label: value', other tags go, entities are decoded."""
    if "<" not in text:
        return text
    import html

    text = _CELL_PAIR.sub(": ", text)
    text = _BLOCK.sub("\n", text)
    return html.unescape(_TAG.sub(" ", text))


def spec_pairs(text: str | None) -> dict[str, str]:
    """'색상: 화이트\\n사이즈 : 12x12cm' -> {'색상': '화이트', '사이즈': '12x12cm'}; first wins.
    HTML detail pages ('<p>■ 색상: 화이트</p>', '<tr><th>색상</th><td>화이트</td></tr>') too."""
    out: dict[str, str] = {}
    for seg in _SEGMENTS.split(plain_text(str(text or ""))):
        m = _PAIR.match(seg)
        if m:
            label, value = re.sub(r"\s+", " ", m.group(1)).strip(), _clean(m.group(2))
            if value and label not in out:
                out[label] = value
    return out


def spec_value(spec: dict[str, str], name: str) -> str | None:
    """The value stated for a market's attribute `name`: the same label (spaces ignored), or a
    label meaning the same option axis ('컬러' for '색상')."""
    key, axis = name.replace(" ", ""), norm_axis(name)
    same = [v for lb, v in spec.items() if lb.replace(" ", "") == key] + \
        [v for lb, v in spec.items() if len(key) > 1 and lb.replace(" ", "").endswith(key)]
    return (same or [v for lb, v in spec.items() if norm_axis(lb) == axis] or [None])[0]


def spec_fact(spec: dict[str, str], fact: str) -> str | None:
    """The value of a non-option fact (material, model, origin, manufacturer)."""
    labels = {lb.replace(" ", "") for lb in SPEC_LABELS.get(fact, ())}
    return next((v for lb, v in spec.items() if lb.replace(" ", "") in labels), None)
