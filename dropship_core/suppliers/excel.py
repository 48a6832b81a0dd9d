"""Excel (and CSV) supplier catalogs.

Korean wholesale workbooks have no single template, so the reader is tolerant:
- headers are matched against common aliases (상품코드, 상품명, 공급가/도매가, 재고, 옵션명/옵션값/옵션가,
  배송비, 원산지, 제조사, ...), on whichever of the first rows looks most like a header;
- every sheet with a recognisable header is read; other sheets are reported, not guessed at;
- numbers written as text ("12,000원", "₩ 9,900", "3.5천") are parsed; text where a number
  must be is a rejected row, never a silent zero;
- options come either as lists in one row (옵션값 "블랙,화이트", 옵션가 "0,1000") or as one row
  per option with the product code repeated (or left blank under a merged cell);
- a bad row is rejected with its reason and the rest of the file goes on.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dropship_core.model import STATUS_ACTIVE, STATUS_SOLDOUT, CanonicalProduct, Variant, canonical_bytes
from dropship_core.suppliers.base import SYNC_FULL, FetchResult, SupplierError

READER_VERSION = "excel-2"

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "supplier_sku": ("상품코드", "자체상품코드", "자체 상품코드", "상품번호", "판매자관리코드", "업체상품코드", "품번"),
    "name": ("상품명", "제품명", "상품명(필수)", "상품 명"),
    "cost": ("공급가", "도매가", "원가", "매입가", "공급단가", "공급가격"),
    "sale_price": ("판매가", "판매가격", "소비자가(권장)", "권장소비자가", "시중가", "권장판매가"),
    "consumer_price": ("소비자가", "정가", "시중 판매가"),
    "stock": ("재고", "재고수량", "수량"),
    "option_name": ("옵션명", "옵션입력", "옵션", "옵션구분"),
    "option_value": ("옵션값", "옵션항목", "옵션내용"),
    "option_price": ("옵션가", "옵션추가금", "추가금액", "옵션가격"),
    "option_stock": ("옵션재고", "옵션수량"),
    "shipping_fee": ("배송비", "기본배송비"),
    "return_fee": ("반품배송비",),
    "category": ("카테고리", "카테고리코드", "카테고리명"),
    "brand": ("브랜드", "브랜드명"),
    "manufacturer": ("제조사", "제조사명"),
    "origin": ("원산지", "제조국"),
    "image": ("대표이미지", "이미지url", "이미지"),
    "extra_images": ("추가이미지", "상세이미지"),
    "description": ("상세설명", "상세페이지"),
    "tax": ("과세여부", "면세여부", "과세구분"),
    "adult": ("성인여부", "성인용품"),
    "model": ("모델명",),
    "kc_cert": ("kc인증번호", "kc 인증번호", "kc인증", "인증번호", "kc인증정보"),
    "keywords": ("검색어", "키워드", "검색키워드"),
    "status": ("판매상태", "상태"),
}

_ALIAS_INDEX = {
    re.sub(r"\s+", "", a).lower(): canon for canon, aliases in HEADER_ALIASES.items() for a in aliases
}
REQUIRED = ("supplier_sku", "name", "cost")
_HEADER_SCAN_ROWS = 30


class ExcelReadError(SupplierError):
    """The file as a whole cannot be read (not a workbook, no recognisable header)."""


def _norm_header(v: Any) -> str:
    s = "" if v is None else str(v)
    s = re.sub(r"\s+", "", s).lower()
    s = re.sub(r"[*※]|\(필수\)$", "", s)
    return s


def match_header(cells: list[Any]) -> dict[str, int]:
    """Map canonical field -> column index for one candidate header row."""
    found: dict[str, int] = {}
    for i, c in enumerate(cells):
        key = _norm_header(c)
        canon = _ALIAS_INDEX.get(key)
        if canon is None and key.endswith("(필수)"):
            canon = _ALIAS_INDEX.get(key[: -len("(필수)")])
        if canon and canon not in found:
            found[canon] = i
    return found


# money and counts beyond this are refused (they would not fit the store's 64-bit JSON numbers)
NUMBER_LIMIT = 1e15
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NUM_CLEAN = re.compile(r"[,\s원₩￦]|KRW", re.IGNORECASE)


class BadValue(ValueError):
    pass


def parse_number(v: Any, field_name: str, *, allow_negative: bool = False) -> int | None:
    """Parse a money or count cell: 12000, 12000.0, "12,000원", "₩ 9,900", "1.2만". Blank is None."""
    if v is None:
        return None
    if isinstance(v, bool):
        raise BadValue(f"{field_name}: {v!r} is not a number")
    if isinstance(v, (int, float)):
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            raise BadValue(f"{field_name}: {v!r} is not a number")
        if abs(v) >= NUMBER_LIMIT:
            raise BadValue(f"{field_name}: {v!r} is out of range")
        n = round(v)
    else:
        s = str(v).strip()
        if s in ("", "-"):
            return None
        mult = 1
        if s.endswith("만원") or s.endswith("만"):
            mult, s = 10000, s.rstrip("원").rstrip("만")
        elif s.endswith("천원") or s.endswith("천"):
            mult, s = 1000, s.rstrip("원").rstrip("천")
        s = _NUM_CLEAN.sub("", s)
        try:
            f = float(s) * mult
        except ValueError:
            raise BadValue(f"{field_name}: {str(v)!r} is not a number") from None
        if not math.isfinite(f):
            raise BadValue(f"{field_name}: {str(v)!r} is not a number")
        if abs(f) >= NUMBER_LIMIT:
            raise BadValue(f"{field_name}: {str(v)!r} is out of range")
        n = round(f)
    if n < 0 and not allow_negative:
        raise BadValue(f"{field_name}: {n} is negative")
    return int(n)


def refuse_control_characters(row: list[Any]) -> None:
    """A cell with a control character (NUL, ...) makes its row a reject: the store cannot hold
    NUL, and the others are never product data. Tab, newline and carriage return are fine."""
    for v in row:
        if v.__class__ is str and _CONTROL.search(v):
            ch = _CONTROL.search(v).group()
            raise BadValue(f"control character U+{ord(ch):04X} in {v[:30].replace(ch, '?')!r}")


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s or None


def row_sku(sku: str | None, name: str | None, last_sku: str | None, has_option: bool) -> str:
    """The product code a row belongs to: its own (slashes and commas made dashes), or the previous
    row's for an option row under a merged product cell; a row with neither is a reject."""
    if sku is None and name is None and last_sku and has_option:
        return last_sku  # continuation row under a merged product cell
    if not sku:
        raise BadValue("missing supplier code (상품코드)")
    if "/" in sku or "," in sku:
        sku = sku.replace("/", "-").replace(",", "-")
    return sku


_LIST_SEP = re.compile(r"[,\n;|]")
_NAME_SEP = re.compile(r"[/|,]")


def _split_list(v: Any) -> list[str]:
    s = _text(v)
    if not s:
        return []
    return [p.strip() for p in _LIST_SEP.split(s) if p.strip()]


def _bool_flag(v: Any, true_words: tuple[str, ...]) -> bool:
    s = (_text(v) or "").upper()
    return s in true_words


@dataclass
class SheetRows:
    sheet: str
    header_row: int  # 0-based index of the header row in the sheet
    columns: dict[str, int]
    rows: list[list[Any]]
    unknown_columns: list[str] = field(default_factory=list)
    # the rows below the header as a fastexcel frame (excel_fast), when the fast read vouched for
    # the sheet; `rows` is then empty
    fast: Any = None


def locate_header(rows: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    best: tuple[int, dict[str, int]] | None = None
    for i, r in enumerate(rows[:_HEADER_SCAN_ROWS]):
        cols = match_header(r)
        if best is None or len(cols) > len(best[1]):
            best = (i, cols)
    if best is None or not all(k in best[1] for k in ("name",)) or len(best[1]) < 3:
        return None
    return best


def read_workbook(path: str | Path, fast: bool = False) -> tuple[list[SheetRows], list[str]]:
    """Return the sheets with a recognisable header, and notes about the sheets skipped. With
    `fast`, an .xlsx sheet the fast read vouches for (excel_fast) comes as a frame, the others as
    the reference read gives them."""
    path = Path(path)
    if not path.exists():
        raise ExcelReadError(f"{path}: file not found")
    from dropship_core.suppliers.excel_fast import FAST_SUFFIXES, read_sheets_fast

    if fast and path.suffix.lower() in FAST_SUFFIXES:
        sheets = read_sheets_fast(path)
    else:
        from dropship_core.suppliers.excel_sheets import read_sheets

        sheets = [(name, rows, None) for name, rows in read_sheets(path)]
    found: list[SheetRows] = []
    notes: list[str] = []
    for name, rows, quick in sheets:
        if quick is not None:
            hi, header, frame = quick
            cols = match_header(header)
            unknown = [str(c) for i, c in enumerate(header) if c not in (None, "") and i not in cols.values()]
            found.append(SheetRows(name, hi, cols, [], unknown, fast=frame))
            continue
        loc = locate_header(rows)
        if loc is None:
            if any(any(c not in (None, "") for c in r) for r in rows):
                notes.append(f"sheet {name!r}: no recognisable header row (expected e.g. 상품코드, 상품명, 공급가)")
            continue
        hi, cols = loc
        header = rows[hi]
        unknown = [str(c) for i, c in enumerate(header) if c not in (None, "") and i not in cols.values()]
        found.append(SheetRows(name, hi, cols, rows[hi + 1 :], unknown))
    if not found:
        detail = "; ".join(notes) if notes else "the workbook is empty"
        raise ExcelReadError(f"{path.name}: no sheet has a recognisable header row ({detail})")
    return found, notes


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return f"{READER_VERSION}:{h.hexdigest()}"


def _row_dict(sheet: SheetRows, row: list[Any]) -> dict[str, Any]:
    return {k: (row[i] if i < len(row) else None) for k, i in sheet.columns.items()}


_PLAIN = (str, float, int, bool)


def _raw_dict(header: list[Any] | None, row: list[Any]) -> dict[str, Any]:
    if header is None:  # the common case, kept cheap: one pass, keys by position
        return {f"col{i + 1}": (v if v.__class__ in _PLAIN else str(v))
                for i, v in enumerate(row) if v is not None and v != ""}
    out: dict[str, Any] = {}
    for i, v in enumerate(row):
        if v in (None, ""):
            continue
        key = str(header[i]) if header and i < len(header) and header[i] not in (None, "") else f"col{i + 1}"
        out[key] = v if isinstance(v, (int, float, str, bool)) else str(v)
    return out


def _option_variants(sku: str, rec: dict[str, Any], row_stock: int | None) -> list[Variant]:
    values = _split_list(rec.get("option_value"))
    if not values:
        return []
    names = [n for n in _NAME_SEP.split(_text(rec.get("option_name")) or "") if n.strip()]
    if not names:
        names = ["옵션"]
    if len(values) == 1:
        # one option per row: the cell is one number, whose thousands comma must not split it
        prices = [rec["option_price"]] if rec.get("option_price") not in (None, "") else []
        stocks = [rec["option_stock"]] if rec.get("option_stock") not in (None, "") else []
    else:
        prices = _split_list(rec.get("option_price"))
        stocks = _split_list(rec.get("option_stock"))
    if prices and len(prices) not in (1, len(values)):
        raise BadValue(f"옵션가: {len(prices)} prices for {len(values)} option values")
    if stocks and len(stocks) not in (1, len(values)):
        raise BadValue(f"옵션재고: {len(stocks)} stocks for {len(values)} option values")
    variants = []
    for i, val in enumerate(values):
        parts = [p.strip() for p in val.split("/")] if len(names) > 1 else [val]
        if len(parts) != len(names):
            raise BadValue(f"옵션값 {val!r} does not match 옵션명 {'/'.join(names)}")
        opts = {n.strip(): p for n, p in zip(names, parts)}
        delta = parse_number(prices[i if len(prices) > 1 else 0], "옵션가", allow_negative=True) if prices else 0
        stock = parse_number(stocks[i if len(stocks) > 1 else 0], "옵션재고") if stocks else None
        if stock is None and len(values) == 1:
            stock = row_stock
        code = f"{sku}-{i + 1}" if len(values) > 1 else f"{sku}-{_slug(val)}"
        variants.append(Variant(sku=code, options=opts, price_delta=delta or 0, stock=stock))
    return variants


def _slug(s: str) -> str:
    return re.sub(r"[^0-9A-Za-z가-힣]+", "", s)[:20] or "opt"


class ExcelCatalog:
    """Reads one supplier workbook into canonical products and rejects."""

    def __init__(self, supplier_key: str, path: str | Path, *, default_shipping_fee: int = 0):
        self.supplier_key = supplier_key
        self.path = Path(path)
        self.default_shipping_fee = default_shipping_fee

    def ping(self) -> str:
        sheets, _ = read_workbook(self.path)
        return f"{self.path.name}: {len(sheets)} sheet(s) with a header"

    def fetch(self, mode: str = SYNC_FULL, cursor: str | None = None) -> FetchResult:
        """The workbook's products (as CanonicalProduct) and rejects."""
        result = self.fetch_dicts()
        result.products = [CanonicalProduct.from_dict(d) for d in result.products]
        return result

    def fetch_dicts(self) -> FetchResult:
        """Like fetch(), with products as canonical dicts; per-cell work is done column-wise."""

        result = self.fetch_prepared(serialise=False)
        from dropship_core.suppliers.excel_fetch import product_dict

        result.products = [product_dict(p) for p in result.products]
        return result

    def fetch_prepared(self, serialise: bool = True, fast_read: bool = True, known: Any = None) -> FetchResult:
        """Products ready for `Store.ingest_prepared`: (item id, canonical JSON bytes, status, ...).
        `fast_read=False` reads every sheet the reference way (python-calamine), for comparison.
        `known` (`Store.source_row_digests`: item id -> (row digest, content hash, status)): a
        chunk of rows that are all the stored products' source rows again is not built again; its
        products come with the stored hash in place of their JSON (excel_fetch.Unchanged). A
        callable `known` is called (and made the frame chunks are joined with) in a thread while
        the workbook is read."""
        from dropship_core.suppliers.excel_digests import in_background, known_frame
        from dropship_core.suppliers.excel_fetch import JsonProduct, NeedFullRead, fetch_columnar

        pending = in_background(lambda: known_frame(known())) if callable(known) else None
        sheets, notes = read_workbook(self.path, fast=fast_read)
        stored = pending() if pending is not None else known_frame(known)
        result = self._result(sheets, notes)
        try:
            products = fetch_columnar(self, sheets, result, stored)
        except NeedFullRead:  # a later row adds to a product that was not built: build them all
            return self.fetch_prepared(serialise, fast_read)
        if serialise:
            products = [p if p.__class__ is JsonProduct
                        else (p["supplier_item_id"], canonical_bytes(p), p["status"]) for p in products]
        result.products = products
        return result

    def _result(self, sheets: list[SheetRows], notes: list[str]) -> FetchResult:
        result = FetchResult(complete=True, next_cursor=None)
        result.stats["sheets"] = [s.sheet for s in sheets]
        result.stats["skipped_sheets"] = notes
        result.stats["unknown_columns"] = sorted({c for s in sheets for c in s.unknown_columns})
        return result

    def fetch_rows(self) -> FetchResult:
        """The row-by-row reader: the reference the column-wise reader is tested against, and the
        path taken by every row the column-wise reader does not vouch for."""
        from dropship_core.suppliers.excel_rows import fetch_rows

        sheets, notes = read_workbook(self.path)
        return fetch_rows(self, sheets, self._result(sheets, notes))

    def _product(self, sku: str, name: str | None, rec: dict[str, Any], row: list[Any]) -> CanonicalProduct:
        if not name:
            raise BadValue(f"missing product name (상품명) for {sku}")
        cost = parse_number(rec.get("cost"), "공급가")
        if cost is None:
            raise BadValue(f"missing cost (공급가) for {sku}")
        if cost == 0:
            raise BadValue(f"공급가: cost 0 for {sku}")
        stock = parse_number(rec.get("stock"), "재고")
        shipping = parse_number(rec.get("shipping_fee"), "배송비")
        images = [u for u in [_text(rec.get("image"))] + _split_list(rec.get("extra_images")) if u]
        tax = _text(rec.get("tax")) or "과세"
        tax_type = "FREE" if ("면세" in tax or tax.upper() in ("FREE", "N")) and "과세" not in tax.replace("비과세", "") else "TAX"
        status_text = _text(rec.get("status")) or ""
        status = STATUS_SOLDOUT if any(w in status_text for w in ("품절", "일시품절", "soldout")) else STATUS_ACTIVE
        raw = {str(k): v for k, v in rec.items() if v not in (None, "")}
        product = CanonicalProduct(
            supplier_key=self.supplier_key,
            supplier_item_id=sku,
            name=name,
            cost=cost,
            consumer_price=parse_number(rec.get("consumer_price"), "소비자가"),
            suggested_price=parse_number(rec.get("sale_price"), "판매가"),
            shipping_fee=shipping if shipping is not None else self.default_shipping_fee,
            return_fee=parse_number(rec.get("return_fee"), "반품배송비"),
            stock=stock,
            brand=_text(rec.get("brand")),
            manufacturer=_text(rec.get("manufacturer")),
            model=_text(rec.get("model")),
            origin=_text(rec.get("origin")),
            tax_type=tax_type,
            adult=_bool_flag(rec.get("adult"), ("Y", "YES", "성인", "TRUE", "1")),
            images=images,
            category_path=_text(rec.get("category")),
            description=_text(rec.get("description")),
            keywords=_split_list(rec.get("keywords")),
            variants=[],
            status=status,
            raw={k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in raw.items()},
        )
        kc = _text(rec.get("kc_cert"))
        if kc:   # carried to the markets' certification fields (KC-target categories need it)
            product.notice = {"certificates": [{"type": "KC_CERTIFICATION", "name": "KC 인증",
                                                "number": kc}]}
        product.variants = _option_variants(sku, rec, stock)
        if product.variants and len(product.variants) > 1 and stock is not None and all(v.stock is None for v in product.variants):
            # one stock figure for several options: it is the product's, options share it
            product.stock = stock
        elif product.variants:
            product.stock = None
        return product
