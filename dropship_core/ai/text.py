"""Korean product text rules: clean names, market titles, HTML descriptions, attributes.

Pure functions, no I/O beyond reading the shipped YAML lexicons once. Deterministic.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import nh3
import yaml

from dropship_core.markets.names import TITLE_LIMITS

DATA_DIR = Path(__file__).parent / "data"

# Words that sell, not describe. Removed from names wherever they stand.
PROMO_WORDS = (
    "무료배송", "무배", "당일발송", "당일출고", "당일배송", "오늘출발", "오늘발송", "빠른배송",
    "최저가", "초특가", "특가", "특판", "핫딜", "한정수량", "한정판매", "타임세일", "세일", "할인",
    "쿠폰", "사은품", "증정", "이벤트", "신상품", "신상", "인기", "best", "베스트", "hot", "new",
    "강력추천", "추천", "정품", "국내정품", "정품보장", "국내배송", "재입고", "품절임박", "대박",
    "1+1", "2+1", "무료반품", "빅세일", "sale", "MD추천", "균일가", "파격",
)
_BRACKETS = r"\[\]【】〔〕〈〉《》「」『』\(\)<>{}"
_DECOR = "★☆♥♡◆◇■□●○▶▷◀◁※✔✓✨🔥👍❤♣♠·•→←↑↓"


def normalize(text: str) -> str:
    """NFKC (fullwidth → ASCII, ㎖ → mL), one space between words."""
    text = unicodedata.normalize("NFKC", text or "")
    # lone surrogates and control characters cannot be encoded or shown: drop them
    if not text.isprintable():
        text = "".join(
            " " if ch.isspace() else ch
            for ch in text
            if ch.isspace() or unicodedata.category(ch) not in ("Cs", "Cc", "Cf", "Co", "Cn")
        )
    return re.sub(r"\s+", " ", text).strip()


def _is_promo(segment: str) -> bool:
    s = segment.strip().lower().replace(" ", "")
    if not s:
        return True
    for w in PROMO_WORDS:
        if w.lower() in s:
            return True
    # e.g. [2026 신상], (10%할인), [쿠폰가]
    return bool(re.fullmatch(r"[\d%+~.,원]*", s))


_BRACKET_SEG = re.compile(r"[\[【〔〈《「『(<{]([^\[\]【】〔〕〈〉《》「」『』()<>{}]*)[\]】〕〉》」』)>}]")
_STAR_SEG = re.compile(r"[★☆♥◆■●▶]([^★☆♥◆■●▶]{1,12})[★☆♥◆■●▶]")


def clean_name(name: str) -> str:
    """The product name without promotional noise, decorations, brackets or repeated words."""
    text = normalize(name)

    def bracket(m: re.Match) -> str:
        inner = m.group(1)
        return " " if _is_promo(inner) else f" {inner} "

    text = _STAR_SEG.sub(lambda m: " " if _is_promo(m.group(1)) else f" {m.group(1)} ", text)
    text = _BRACKET_SEG.sub(bracket, text)
    text = re.sub(f"[{_BRACKETS}]", " ", text)
    text = re.sub(f"[{re.escape(_DECOR)}]", " ", text)
    text = re.sub(r"[!?~^*_=|#$@]+", " ", text)
    # promo words standing alone (keep words that merely contain them, e.g. 특가 inside a model);
    # English ones only inside brackets or stars: "New Balance" is a brand
    standalone = {p.lower() for p in PROMO_WORDS if not p.isascii() or "+" in p}
    words = []
    for w in text.split():
        lw = w.lower()
        if lw in standalone:
            continue
        if re.fullmatch(r"\d+%(할인|off)?", lw):
            continue
        words.append(w)
    # repeated words: keep the first occurrence
    seen: set[str] = set()
    out = []
    for w in words:
        key = w.lower().strip(",.")
        if not key:
            continue
        if key in seen:
            continue
        seen.add(key)
        out.append(w.strip(","))
    return " ".join(x for x in out if x)


# ---------------------------------------------------------------- titles

def text_size(text: str, market: str) -> int:
    lim = TITLE_LIMITS[market]
    return len(text.encode("utf-8")) if "bytes" in lim else len(text)


def limit_of(market: str) -> int:
    lim = TITLE_LIMITS[market]
    return lim.get("bytes") or lim["chars"]


def cut_title(text: str, market: str) -> str:
    """`text` within `market`'s title limit, cut on a word boundary (hard cut if one word is too long)."""
    text = normalize(text)
    limit = limit_of(market)
    if text_size(text, market) <= limit:
        return text
    out = ""
    for w in text.split(" "):
        cand = f"{out} {w}" if out else w
        if text_size(cand, market) > limit:
            break
        out = cand
    if not out:  # a single word longer than the limit
        for ch in text:
            if text_size(out + ch, market) > limit:
                break
            out += ch
    return out.rstrip()


def market_titles(clean: str, brand: str | None, markets: Iterable[str]) -> dict[str, str]:
    """Per-market titles: the brand first (once), then the clean name, within each limit."""
    base = clean
    if brand and brand.lower() not in clean.lower():
        base = f"{brand} {clean}"
    return {m: cut_title(base, m) for m in markets}


# ---------------------------------------------------------------- descriptions

_SCRIPT = re.compile(r"<(script|style|noscript|iframe|object|embed)\b.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|p|div|li|tr|h[1-6])\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")


_NH3_KEEP = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}


def sanitize_description(text: str | None) -> str:
    """Plain text from supplier (or model-written) HTML: first the allow-list sanitiser (`nh3`:
    only line-breaking tags survive, scripts and styles go with their content, comments go), then
    the line breaks kept, the remaining tags removed and entities decoded."""
    if not text:
        return ""
    if not isinstance(text, str):
        text = str(text)
    t = nh3.clean(text, tags=_NH3_KEEP, attributes={}, strip_comments=True, link_rel=None)
    t = _SCRIPT.sub(" ", t)
    t = re.sub(r"<(script|style)\b[^>]*>.*", " ", t, flags=re.I | re.S)  # unclosed script
    t = _COMMENT.sub(" ", t)
    t = _BLOCK.sub("\n", t)
    t = _TAG.sub(" ", t)
    t = html.unescape(t)
    t = t.replace("<", " ").replace(">", " ")
    t = unicodedata.normalize("NFKC", t)
    if not t.isprintable():
        t = "".join(ch for ch in t if ch in "\n\t " or unicodedata.category(ch) not in ("Cs", "Cc", "Cf", "Co", "Cn"))
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in t.splitlines()]
    out, blank = [], False
    for ln in lines:
        if not ln:
            blank = bool(out)
            continue
        if blank:
            out.append("")
            blank = False
        out.append(ln)
    return "\n".join(out).strip()


# ---------------------------------------------------------------- attributes

@lru_cache(maxsize=1)
def attribute_lexicon() -> dict[str, Any]:
    return yaml.safe_load((DATA_DIR / "attribute_lexicon.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def brand_lexicon() -> dict[str, str]:
    """alias (lower-case) → canonical brand name."""
    out: dict[str, str] = {}
    for b in _brand_rows():
        canon = str(b["name"])
        for a in [canon, *(b.get("aliases") or [])]:
            out[str(a).lower().replace(" ", "")] = canon
    return out


@lru_cache(maxsize=1)
def hint_lexicon() -> dict[str, str]:
    """alias (lower-case) → canonical brand or product line (data/leaf_terms `lines`, never a
    product's brand attribute); a brand wins an alias both use."""
    out: dict[str, str] = {}
    for b in product_lines():
        for a in [b["name"], *(b.get("aliases") or [])]:
            out[str(a).lower().replace(" ", "")] = str(b["name"])
    return {**out, **brand_lexicon()}


def product_lines() -> list[dict]:
    """The product lines and models of data/leaf_terms (`lines` sections), in file order."""
    return [b for doc in leaf_term_docs() for b in doc.get("lines") or ()]


@lru_cache(maxsize=1)
def brand_hints() -> dict[str, tuple[str, ...]]:
    """canonical brand → the SmartStore node(s) its goods almost always fall in: one path prefix,
    or for a brand spread over a few nodes (data/leaf_terms/brands_multi.yaml) two to four."""
    out = {}
    for b in (*product_lines(), *_brand_rows()):
        cat = b.get("category")
        if cat:
            out[str(b["name"])] = tuple(cat) if isinstance(cat, list) else (str(cat),)
    return out


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the seller-word files are large


@lru_cache(maxsize=1)
def leaf_term_docs() -> tuple[dict, ...]:
    """The seller-word files `data/leaf_terms/*.yaml` (terms and brands per branch), in name order."""
    return tuple(yaml.load(f.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
                 for f in sorted((DATA_DIR / "leaf_terms").glob("*.yaml")))


@lru_cache(maxsize=1)
def _brand_rows() -> tuple[dict, ...]:
    """brands.yaml, then the brands of data/leaf_terms/*.yaml not named there. A brands.yaml entry
    without a category takes the one a leaf_terms file gives, and its aliases."""
    rows = [dict(b) for b in (yaml.safe_load((DATA_DIR / "brands.yaml").read_text(encoding="utf-8")) or {}).get("brands", [])]
    named = {str(b["name"]): b for b in rows}
    for doc in leaf_term_docs():
        for b in doc.get("brands") or ():
            if not isinstance(b, dict) or not b.get("name"):
                continue
            have = named.get(str(b["name"]))
            if have is None:
                named[str(b["name"])] = b
                rows.append(b)
            elif not have.get("category") and b.get("category"):
                aliases = list(have.get("aliases") or ())
                have["category"] = b["category"]
                have["aliases"] = aliases + [a for a in b.get("aliases") or () if a not in aliases]
    return tuple(rows)


def find_brand(text: str) -> str | None:
    """A known brand in `text` (tokens, or two adjacent tokens written apart), first one wins."""
    found = find_brands(text)
    return found[0] if found else None


def find_brands(text: str, lines: bool = False) -> list[str]:
    """Every known brand in `text`, in order; with `lines`, product lines too (a line after its
    maker's name: "LG 시네빔" gives LG, then 시네빔)."""
    lex = hint_lexicon() if lines else brand_lexicon()
    toks = [t for t in _BRAND_SPLIT.split(normalize(text).lower()) if t]
    out: list[str] = []
    for i, t in enumerate(toks):
        for key in ((t + toks[i + 1], t) if i + 1 < len(toks) else (t,)):
            b = lex.get(key)
            if b is not None and b not in out:
                out.append(b)
                break
    return out


_BRAND_SPLIT = re.compile(r"[\s\[\]()/,]+")


_NUM = r"(\d+(?:\.\d+)?)"
_CAPACITY = re.compile(_NUM + r"\s*(ml|l|리터|cc)(?![a-z가-힣])", re.I)
_WEIGHT = re.compile(_NUM + r"\s*(kg|g)(?![a-z가-힣])", re.I)
_DIM = re.compile(r"(\d+(?:\.\d+)?\s*[x×*]\s*\d+(?:\.\d+)?(?:\s*[x×*]\s*\d+(?:\.\d+)?)?)(?:\s*(cm|mm|m))?(?![a-z0-9])", re.I)
_LENGTH = re.compile(_NUM + r"\s*(cm|mm|m|인치|호)(?![a-z가-힣])", re.I)
_QTY_UNITS = (
    "개입", "매입", "개", "매", "입", "팩", "봉", "캔", "병", "포", "정", "캡슐", "롤", "장", "켤레", "족",
    "종", "구", "p", "pcs", "ea", "권", "자루", "색", "송이", "회", "피스", "t", "박스", "box",
)
_QTY = re.compile(
    r"(?<![\d.])(\d{1,5})\s*(" + "|".join(sorted(map(re.escape, _QTY_UNITS), key=len, reverse=True))
    + r")(?![a-z가-힣])", re.I,
)
_CLOTH_SIZE = re.compile(r"(?<![a-z0-9])(xxs|xs|s|m|l|xl|xxl|xxxl|[2-4]xl|free|프리)(?![a-z0-9])", re.I)
_MODEL = re.compile(r"(?<![a-z0-9-])([a-z]{1,6}-?\d{2,}[a-z0-9-]*|\d{2,}[a-z]{1,4}\d*[a-z0-9-]*)(?![a-z0-9-])", re.I)


def _norm_val(v: str) -> str:
    return re.sub(r"\s+", "", v).lower()


def _word_attributes(lex: dict, toks: list[str], tokset: set[str], out: dict[str, str]) -> None:
    """Gender, season, material, colour from curated word lists (first hit in word order)."""
    for key in ("gender", "season", "material", "color"):
        table: dict[str, str] = {}
        for canon, aliases in (lex.get(key) or {}).items():
            for a in [canon, *(aliases or [])]:
                table[str(a).lower()] = str(canon)
        for t in toks:
            hit = table.get(t)
            if hit is None:
                # 면100%, 블랙/화이트
                m = re.match(r"^([a-z가-힣]+?)(\d+%?)$", t)
                if m:
                    hit = table.get(m.group(1))
            if hit is not None:
                if key == "color" and hit == "실버" and "925" in tokset:
                    continue
                out.setdefault(key, hit)
                break
    if "925" in tokset and "material" not in out:
        out["material"] = "실버"


def _option_attributes(lex: dict, options: Iterable[dict[str, str]], out: dict[str, str]) -> None:
    """Option values fill what the name did not say; several values are kept together (블랙/화이트)."""
    seen: dict[str, list[str]] = {}
    for opt in options or ():
        for k, v in (opt or {}).items():
            key = lex.get("option_keys", {}).get(str(k).strip())
            if key and str(v).strip():
                val = _norm_val(str(v)) if key == "size" else str(v).strip()
                vals = seen.setdefault(key, [])
                if val not in vals:
                    vals.append(val)
    for key, vals in seen.items():
        if key not in out:
            out[key] = "/".join(vals)


def extract_attributes(
    name: str,
    *,
    brand: str | None = None,
    model: str | None = None,
    options: Iterable[dict[str, str]] = (),
    top_level: str | None = None,
) -> dict[str, str]:
    """Attributes read from the name, the supplier's fields and the option values.

    Keys: brand, model, color, size, capacity, weight, quantity, material, gender, season.
    Values are normalised (lower-case ASCII, no spaces in measures) so they compare across sources.
    `top_level` (SmartStore top-level category) disambiguates a few cases: `21호` is a shade in
    cosmetics and a size elsewhere; bare numbers are sizes only in fashion.
    """
    lex = attribute_lexicon()
    text = normalize(name)
    low = text.lower()
    toks = [t for t in re.split(r"[\s\[\]()/,+]+", low) if t]
    tokset = set(toks)
    out: dict[str, str] = {}

    b = brand or find_brand(text)
    if b:
        out["brand"] = _norm_val(b) if b.isascii() else b.replace(" ", "")

    if model:
        out["model"] = _norm_val(model)
    else:
        for m in _MODEL.finditer(low):
            val = m.group(1)
            if re.search(r"[a-z]", val) and re.search(r"\d", val) and not _is_measure(val):
                out["model"] = val
                break

    _word_attributes(lex, toks, tokset, out)
    m = _CAPACITY.search(low)
    if m:
        unit = {"리터": "l", "cc": "ml"}.get(m.group(2).lower(), m.group(2).lower())
        out["capacity"] = f"{m.group(1)}{unit}"
    m = _WEIGHT.search(low)
    if m:
        out["weight"] = f"{m.group(1)}{m.group(2).lower()}"

    qty = [q for q in _QTY.finditer(low)]
    if qty:
        q = qty[-1]  # the outer pack count comes last (70매 10팩)
        unit = q.group(2).lower()
        unit = {"개입": "개", "매입": "매", "box": "박스", "ea": "개"}.get(unit, unit)
        out["quantity"] = f"{q.group(1)}{unit}"

    size = _size(low, toks, top_level)
    if size:
        if size.endswith("호") and top_level == "화장품/미용":
            out.setdefault("color", size)
        else:
            out["size"] = size

    _option_attributes(lex, options, out)
    return out


def _is_measure(val: str) -> bool:
    return bool(re.fullmatch(r"\d+(\.\d+)?(ml|l|g|kg|mg|cm|mm|m|w|v|hz|gb|tb|mah|p|t|pcs|ea|x\d+)", val))


_BEDDING = ("슈퍼싱글", "싱글", "더블", "퀸", "킹", "라지킹")


def _size(low: str, toks: list[str], top_level: str | None) -> str | None:
    m = _DIM.search(low)
    if m:
        return _norm_val(m.group(1).replace("×", "x").replace("*", "x")) + (m.group(2) or "").lower()
    for t in toks:
        if t in _BEDDING:
            return t
    m = _LENGTH.search(low)
    if m:
        return f"{m.group(1)}{m.group(2).lower()}"
    m = _CLOTH_SIZE.search(low)
    if m and top_level in (None, "패션의류", "패션잡화", "스포츠/레저", "출산/육아"):
        v = m.group(1).lower()
        return "free" if v == "프리" else v
    fashion = top_level in ("패션의류", "패션잡화", "스포츠/레저", "출산/육아")
    if fashion:
        for t in toks:
            if re.fullmatch(r"\d{2,3}[a-f]", t) and 65 <= int(t[:-1]) <= 100:  # bra 75B
                return t
        for t in reversed(toks):
            if not t.isdigit():
                continue
            n = int(t)
            if 200 <= n <= 300 and n % 5 == 0:  # shoes, mm
                return t
            if n in (44, 55, 66, 77, 88, 85, 90, 95, 100, 105, 110, 115, 120):
                return t
            if top_level == "출산/육아" and 50 <= n <= 190 and n % 5 == 0:
                return t
            if top_level == "패션의류" and 24 <= n <= 40:  # waist, inches
                return t
    return None
