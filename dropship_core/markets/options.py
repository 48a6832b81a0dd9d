"""Supplier options -> what each market accepts.

1. Normalisation (every market): option axis names to one vocabulary (`컬러`/`COLOR` -> `색상`,
   `SIZE`/`치수` -> `사이즈` ...) and values to one spelling (`검정`/`BLACK`/`blk` -> `블랙`,
   `엑스라지`/`X-Large` -> `XL`, `24 CM` -> `24cm`, `1.5L` -> `1500ml`). Two variants that become
   the same after normalisation are a conflict, reported, never silently merged.
2. Per market (`markets.compliance`): Coupang purchase options of the category, ESM recommended
   options (a value number where ESM has one, else code 0 + text where the category allows
   it), Naver's 조합형 limits.
"""

from __future__ import annotations

import re
import unicodedata

COLOR, SIZE, LENGTH, CAPACITY, WEIGHT, QUANTITY, TYPE = ("색상", "사이즈", "길이", "용량", "중량",
                                                        "수량", "타입")

AXIS_SYNONYMS: dict[str, tuple[str, ...]] = {
    COLOR: ("색상", "컬러", "칼라", "색", "색깔", "color", "colour", "col", "색상선택",
            "컬러선택", "색상/컬러"),
    SIZE: ("사이즈", "크기", "치수", "size", "호수", "사이즈선택", "신발사이즈", "의류사이즈",
           "패션의류/잡화 사이즈", "규격"),
    LENGTH: ("길이", "length", "기장", "줄길이"),
    CAPACITY: ("용량", "개당 용량", "capacity", "volume"),
    WEIGHT: ("중량", "무게", "개당 중량", "weight"),
    QUANTITY: ("수량", "개수", "입수", "개당 수량", "총 수량", "quantity", "qty", "묶음",
               "세트구성", "구성", "매수"),
    TYPE: ("타입", "종류", "유형", "type", "디자인", "스타일", "모양"),
}

COLOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "블랙": ("블랙", "검정", "검정색", "검은색", "흑색", "black", "blk", "bk", "블렉"),
    "화이트": ("화이트", "흰색", "하양", "하얀색", "백색", "white", "wh", "wht", "화이드"),
    "그레이": ("그레이", "회색", "그래이", "gray", "grey", "gy", "라이트그레이", "연회색"),
    "차콜": ("차콜", "charcoal", "진회색", "다크그레이", "dark gray", "darkgray"),
    "네이비": ("네이비", "남색", "곤색", "navy", "nv"),
    "블루": ("블루", "파랑", "파란색", "청색", "blue", "bl"),
    "스카이블루": ("스카이블루", "하늘색", "소라색", "sky blue", "skyblue"),
    "레드": ("레드", "빨강", "빨간색", "적색", "red", "rd"),
    "핑크": ("핑크", "분홍", "분홍색", "pink", "pk"),
    "옐로우": ("옐로우", "옐로", "노랑", "노란색", "yellow", "yl"),
    "그린": ("그린", "초록", "초록색", "녹색", "green", "gn"),
    "카키": ("카키", "khaki", "올리브", "olive"),
    "민트": ("민트", "mint", "민트색"),
    "베이지": ("베이지", "beige", "be"),
    "아이보리": ("아이보리", "ivory", "iv", "크림"),
    "브라운": ("브라운", "갈색", "brown", "br", "초코"),
    "퍼플": ("퍼플", "보라", "보라색", "purple", "바이올렛", "violet", "라벤더"),
    "오렌지": ("오렌지", "주황", "주황색", "orange", "or"),
    "실버": ("실버", "은색", "silver", "sv"),
    "골드": ("골드", "금색", "gold", "gd"),
    "와인": ("와인", "버건디", "wine", "burgundy"),
    "투명": ("투명", "클리어", "clear", "transparent"),
}

SIZE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "XS": ("xs", "엑스스몰", "x-small", "xsmall", "extra small"),
    "S": ("s", "스몰", "small", "소"),
    "M": ("m", "미디움", "미디엄", "medium", "중"),
    "L": ("l", "라지", "large", "대"),
    "XL": ("xl", "엑스라지", "x-large", "xlarge", "extra large", "특대"),
    "2XL": ("xxl", "2xl", "투엑스라지", "xx-large", "2x"),
    "3XL": ("xxxl", "3xl", "쓰리엑스라지", "3x"),
    "FREE": ("free", "프리", "프리사이즈", "f", "free size", "freesize", "one size", "onesize",
             "원사이즈"),
}


def _key(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return re.sub(r"[\s_]+", " ", t)


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canon, words in table.items():
        out[_key(canon)] = canon
        for w in words:
            out[_key(w)] = canon
            out[_key(w).replace(" ", "")] = canon
    return out


_AXES, _COLORS, _SIZES = _index(AXIS_SYNONYMS), _index(COLOR_SYNONYMS), _index(SIZE_SYNONYMS)
_UNIT = re.compile(r"^(\d+(?:\.\d+)?)\s*(mm|cm|ml|m|l|kg|g|개입|개|매|입|p|ea|인치|inch)$", re.IGNORECASE)
_UNIT_CANON = {"mm": "mm", "cm": "cm", "m": "m", "ml": "ml", "l": "L", "g": "g", "kg": "kg",
               "개입": "개", "개": "개", "매": "매", "입": "개", "p": "개", "ea": "개", "인치": "인치", "inch": "인치"}


def norm_axis(name: str) -> str:
    k = _key(name)
    return _AXES.get(k) or _AXES.get(k.replace(" ", "")) or str(name).strip()


def norm_value(axis: str, value: str) -> str:
    """One spelling per value: colours and sizes by table, numbers with units compacted."""
    raw = unicodedata.normalize("NFKC", str(value)).strip()
    k = _key(raw)
    if axis == COLOR:
        return _COLORS.get(k) or _COLORS.get(k.replace(" ", "")) or raw
    if axis == SIZE and (k in _SIZES or k.replace(" ", "") in _SIZES):
        return _SIZES.get(k) or _SIZES[k.replace(" ", "")]
    m = _UNIT.match(raw)
    if m:
        num, unit = m.group(1), _UNIT_CANON[m.group(2).lower()]
        num = num[:-2] if num.endswith(".0") else num
        return f"{num}{unit}"
    return re.sub(r"\s+", " ", raw)


def normalize_options(options: list[dict]) -> tuple[list[dict], list[str]]:
    """Listing options with normalised axis names and values, plus conflicts found."""
    out, seen, problems = [], {}, []
    for o in options:
        opts = {}
        for axis, val in (o.get("options") or {}).items():
            a = norm_axis(axis)
            if a in opts:
                problems.append(f"option axes '{axis}' and another both mean '{a}'")
                a = str(axis)
            opts[a] = norm_value(a, val)
        key = tuple(sorted(opts.items()))
        if opts and key in seen:
            problems.append(f"options {seen[key]} and {o.get('sku')} are the same after "
                            f"normalisation ({', '.join(f'{k}={v}' for k, v in key)})")
        seen.setdefault(key, o.get("sku"))
        out.append(dict(o, options=opts))
    return out, problems


# Counts Coupang takes in its basic unit 개: the usable units of "수량(개)" in the category-meta
# documentation [contract C2: 개, 개입, 매, 매입, 팩, 입, 장, 병, box, Ea, 포, 캔, 박스, 스틱, 권, set,
# 세트, 캡슐, 통, 정, 봉, 마리, 롤, p, 구, 피스], plus the plain count words 자루 and 켤레. Pack units
# count what the listing sells ('10팩'), piece units what one pack holds ('70매').
PACK_UNITS = ("개", "팩", "병", "box", "ea", "캔", "박스", "권", "set", "세트", "통", "봉", "마리",
              "롤", "구", "자루", "켤레")
PIECE_UNITS = ("개입", "매입", "입", "매", "장", "포", "스틱", "캡슐", "정", "p", "피스")
# every usable unit of 수량(개) in the same documentation: a value in one of them is sent in 개
COUNT_USABLE = frozenset(PACK_UNITS + PIECE_UNITS + (
    "인용", "인분", "조", "회", "회분", "단계", "번", "쪽", "단", "칸", "종", "분류", "현", "선", "공",
    "자리", "폭", "색", "대"))
_COUNT_RE = re.compile(r"(\d+)\s*(" + "|".join(sorted(PACK_UNITS + PIECE_UNITS, key=len, reverse=True))
                       + r")(?![가-힣A-Za-z])", re.IGNORECASE)


def counts_in(text: str | None) -> list[tuple[str, str]]:
    """The counts stated in a text: '70매 10팩' -> [('70', '매'), ('10', '팩')]."""
    return [(m.group(1), m.group(2).lower()) for m in _COUNT_RE.finditer(str(text or ""))]


def to_unit(value: str | None, unit: str | None) -> str | None:
    """'1.5L' -> '1500ml' for unit 'ml', '2kg' -> '2000g', '3' -> '3개' and '10팩' -> '10개' for
    unit '개' (a count in any of Coupang's count units is a count of 개)."""
    if value in (None, ""):
        return None
    v = re.sub(r"^(\d+(?:\.\d+)?)\s+", r"\1", norm_value("", str(value)))
    if not unit:
        return v
    m = re.match(r"^(\d+(?:\.\d+)?)([A-Za-z가-힣]*)$", v)
    if not m:
        return None
    num, have = float(m.group(1)), m.group(2)
    conv = {("L", "ml"): 1000, ("kg", "g"): 1000, ("m", "cm"): 100, ("mm", "cm"): 0.1}
    if have in ("", unit) or (unit == "개" and have.lower() in COUNT_USABLE):
        factor = 1
    elif (have, unit) in conv:
        factor = conv[(have, unit)]
    else:
        return None
    n = num * factor
    return f"{int(n) if n == int(n) else round(n, 2)}{unit}"
