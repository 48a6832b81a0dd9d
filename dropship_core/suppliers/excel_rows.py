"""The row-by-row Excel reader: the reference for the column-wise one (excel_fetch), kept whole so
the two can be compared on any workbook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dropship_core.model import STATUS_ACTIVE, STATUS_SOLDOUT, CanonicalProduct
from dropship_core.suppliers.base import FetchResult, Reject
from dropship_core.suppliers.excel import (BadValue, _option_variants, _raw_dict, _row_dict, _text, parse_number,
                                           refuse_control_characters, row_sku)

if TYPE_CHECKING:
    from dropship_core.suppliers.excel import ExcelCatalog, SheetRows


def fetch_rows(self: "ExcelCatalog", sheets: list["SheetRows"], result: FetchResult) -> FetchResult:
    by_sku: dict[str, CanonicalProduct] = {}
    first_row: dict[str, str] = {}
    rows_seen = 0
    for sheet in sheets:
        last_sku: str | None = None
        for offset, row in enumerate(sheet.rows):
            line = sheet.header_row + offset + 2  # 1-based, as Excel shows it
            if not any(c not in (None, "") for c in row):
                last_sku = None
                continue
            rows_seen += 1
            source = f"{self.path.name}!{sheet.sheet}:row {line}"
            rec = _row_dict(sheet, row)
            try:
                refuse_control_characters(row)
                sku = _text(rec.get("supplier_sku"))
                name = _text(rec.get("name"))
                sku = row_sku(sku, name, last_sku, rec.get("option_value") not in (None, ""))
                product = by_sku.get(sku)
                if product is not None and (name is None or name == product.name) and rec.get("option_value") not in (None, ""):
                    # one row per option, product code repeated
                    row_stock = parse_number(rec.get("stock"), "재고")
                    variants = _option_variants(sku, rec, row_stock)
                    existing = {tuple(sorted(v.options.items())) for v in product.variants}
                    for v in variants:
                        key = tuple(sorted(v.options.items()))
                        if key in existing:
                            raise BadValue(f"duplicate option {v.options} for supplier code {sku} (first at {first_row[sku]})")
                        v.sku = f"{sku}-{len(product.variants) + 1}"
                        product.variants.append(v)
                    product.raw.setdefault("option_rows", []).append(_raw_dict(None, row))
                    last_sku = sku
                    continue
                if product is not None:
                    raise BadValue(f"duplicate supplier code {sku} (first at {first_row[sku]})")
                product = self._product(sku, name, rec, row)
                by_sku[sku] = product
                first_row[sku] = source
                last_sku = sku
            except BadValue as e:
                result.rejects.append(Reject(reason=str(e), raw=_raw_dict(None, row) | {"_row": line}, source=source))
    for p in by_sku.values():
        if p.variants and p.stock is None:
            tracked = [v.stock for v in p.variants if v.stock is not None]
            p.stock = sum(tracked) if tracked else None
        if p.stock == 0 and p.status == STATUS_ACTIVE:
            p.status = STATUS_SOLDOUT
    result.products = list(by_sku.values())
    result.stats["rows"] = rows_seen
    return result
