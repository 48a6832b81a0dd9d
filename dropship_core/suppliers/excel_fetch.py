"""Products of a workbook from its column-wise normalisation (see excel_columns).

The walk over rows keeps the row reader's order-dependent rules (continuation rows under a merged
code, one row per option, duplicate codes across sheets, row numbers in reasons) but does no
per-cell parsing for rows normalised column-wise; rows that were not are handed to the row reader.
Products come out as dicts in the canonical shape (`CanonicalProduct.to_dict()`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from dropship_core.model import STATUS_ACTIVE, STATUS_SOLDOUT, Variant
from dropship_core.suppliers.base import FetchResult, Reject
from dropship_core.suppliers.excel_columns import key_fields, normalise, product_json, typed_columns
from dropship_core.suppliers.excel_digests import digest_context, group_digests, row_digests, unchanged_lists, \
    unchanged_runs
from dropship_core.suppliers.excel_groups import group_key, opens_run

if TYPE_CHECKING:
    from dropship_core.suppliers.excel import ExcelCatalog, SheetRows


class NeedFullRead(Exception):
    """A product skipped by its source row digest is needed after all (a later row adds to it):
    the file is read again without skipping."""


# In place of a product's JSON, a str: the stored content hash of a product whose row is the one
# it was built from (same digest), so it was not built again (JSON is always bytes).
Unchanged = str


# A product whose canonical JSON was built column-wise (a row without options, or a group of
# one-option rows), as a plain tuple: (supplier_item_id, JSON bytes or Unchanged, status, name,
# status before the stock rule (groups) or None, digest of its source rows (excel_digests) or None);
# its first three are what `ingest_prepared` takes, the sixth is stored with it. Products built in
# Python are dicts. (Not a tuple subclass: the collector skips plain tuples of strings, but would
# go through every instance of a subclass at each full collection.)
JsonProduct = tuple


def _json(product: JsonProduct) -> bytes:
    if isinstance(product[1], Unchanged):
        raise NeedFullRead(product[0])
    return product[1]


def product_dict(product: JsonProduct | dict[str, Any]) -> dict[str, Any]:
    """A product of the walk as a canonical dict."""
    return product if product.__class__ is dict else orjson.loads(_json(product))


def reopen(product: JsonProduct) -> dict[str, Any]:
    """The product as the walk holds it before the end-of-file rules, for a later row to add
    options to: a group's stock is its options' again, its status the status column's."""
    d = orjson.loads(_json(product))
    if len(product) > 4 and product[4] is not None:
        d["stock"], d["status"] = None, product[4]
    return d


class _Columns(dict):
    """Columns of the normalised frame as Python lists, converted when first used."""

    def __init__(self, frame):
        super().__init__()
        self.frame = frame

    def __missing__(self, name: str) -> list:
        self[name] = values = self.frame.get_column(name).to_list()
        return values


def _variant_dicts(variants) -> list[dict[str, Any]]:
    return [{"sku": v.sku, "options": dict(v.options), "price_delta": v.price_delta, "stock": v.stock}
            for v in variants]


def _fast_product(cat: "ExcelCatalog", c: dict[str, list], k: int, sku: str, sheet: "SheetRows",
                  row: list[Any]) -> dict[str, Any]:
    from dropship_core.suppliers.excel import _option_variants, _row_dict

    stock = c["stock"][k]
    shipping = c["shipping_fee"][k]
    image = c["image"][k]
    images = ([image] if image else []) + c["extra_images"][k]
    raw = {}
    for f, i in sheet.columns.items():
        v = row[i] if i < len(row) else None
        if v is not None and v != "":
            raw[f] = v
    variants: list[Any] = []
    if c["simple_option"][k]:
        ostock = c["option_stock"][k]
        variants = [Variant(f"{sku}-{c['option_slug'][k]}", {c["option_key"][k]: c["option_value"][k]},
                            c["option_delta"][k], stock if ostock is None else ostock)]
    elif c["has_option"][k]:
        variants = _option_variants(sku, _row_dict(sheet, row), stock)
    if len(variants) > 1 and stock is not None and all(v.stock is None for v in variants):
        pass  # one stock figure for several options: it is the product's
    elif variants:
        stock = None
    return {
        "supplier_key": cat.supplier_key, "supplier_item_id": sku, "name": c["name"][k], "cost": c["cost"][k],
        "consumer_price": c["consumer_price"][k], "suggested_price": c["sale_price"][k],
        "shipping_fee": shipping if shipping is not None else cat.default_shipping_fee,
        "return_fee": c["return_fee"][k], "stock": stock, "brand": c["brand"][k],
        "manufacturer": c["manufacturer"][k], "model": c["model"][k], "origin": c["origin"][k],
        "tax_type": c["tax"][k], "adult": c["adult"][k], "images": images, "category_path": c["category"][k],
        "description": c["description"][k], "keywords": c["keywords"][k], "notice": {},
        "variants": _variant_dicts(variants), "status": c["status"][k], "raw": raw,
    }


def _add_option_row(product: dict[str, Any], sku: str, rec: dict[str, Any], row: list[Any], first: str) -> None:
    """One row per option, the product code repeated: the row reader's rule, on the dict."""
    from dropship_core.suppliers.excel import BadValue, _option_variants, _raw_dict, parse_number

    row_stock = parse_number(rec.get("stock"), "재고")
    variants = _option_variants(sku, rec, row_stock)
    existing = {tuple(sorted(v["options"].items())) for v in product["variants"]}
    for v in variants:
        if tuple(sorted(v.options.items())) in existing:
            raise BadValue(f"duplicate option {v.options} for supplier code {sku} (first at {first})")
        v.sku = f"{sku}-{len(product['variants']) + 1}"
        product["variants"].extend(_variant_dicts([v]))
    product["raw"].setdefault("option_rows", []).append(_raw_dict(None, row))


def _add_simple_option(product: dict[str, Any], sku: str, c, k: int, row: list[Any]) -> bool:
    """The one-option row normalised column-wise; False (nothing done) when its option is already
    there, so the row reader's path raises its exact reason."""
    from dropship_core.suppliers.excel import _raw_dict

    opts = {c["option_key"][k]: c["option_value"][k]}
    if any(v["options"] == opts for v in product["variants"]):
        return False
    stock = c["option_stock"][k]
    product["variants"].append({"sku": f"{sku}-{len(product['variants']) + 1}", "options": opts,
                                "price_delta": c["option_delta"][k], "stock": c["stock"][k] if stock is None else stock})
    product["raw"].setdefault("option_rows", []).append(_raw_dict(None, row))
    return True


def _name(product: Any) -> str:
    return product[3] if product.__class__ is JsonProduct else product["name"]


# rows normalised per pass: bounds the column-wise intermediates; walked rows are released
CHUNK_ROWS = 100_000


def _walk_sheet(cat: "ExcelCatalog", sheet: "SheetRows", by_sku: dict, first_row: dict,
                result: FetchResult, known: pl.DataFrame | None = None) -> int:
    fast = sheet.fast  # the fast read's frame (excel_fast), or None: Python rows from the reference read
    width = fast.width if fast is not None else max(map(len, sheet.rows), default=0)
    total = len(fast) if fast is not None else len(sheet.rows)
    state: dict[str, Any] = {"last_sku": None, "rows_seen": 0}
    context = digest_context(cat, sheet, width)
    lo = 0
    while lo < total:
        hi = _chunk_end(sheet, lo, total, width)
        rows, typed = _chunk(sheet, lo, hi - lo, width)
        digests = row_digests(typed, context)
        runs = unchanged_runs(key_fields(typed), digests, known) if known is not None else None
        if runs is not None and _all_new_unchanged(runs, by_sku, cat, sheet, lo, first_row, state):
            _count(result, "rows_columnar", typed.height)
            del typed
        else:
            frame, lists = _build_chunk(cat, sheet, typed, digests, runs, width, result)
            del typed
            if not _all_new_plain(frame, by_sku, cat, sheet, lo, lists, first_row, state):
                _walk_rows(cat, sheet, rows, lo, _Columns(frame), lists, by_sku, first_row, result, state)
        del rows
        if fast is None:
            sheet.rows[lo:hi] = [None] * (hi - lo)
        lo = hi
    return state["rows_seen"]


def _chunk(sheet: "SheetRows", lo: int, n: int, width: int) -> tuple[Any, pl.DataFrame]:
    """Rows lo..lo+n of a sheet body and their typed columns (excel_columns.typed_columns)."""
    if sheet.fast is not None:
        rows = sheet.fast.rows(lo, n)
        return rows, typed_columns(rows, sheet.columns, width, cells=sheet.fast.cells(lo, n))
    rows = sheet.rows[lo:lo + n]
    return rows, typed_columns(rows, sheet.columns, width)


# rows looked back over for where a product's rows start, at the end of a chunk
_LOOKBACK = 1_000


def _chunk_end(sheet: "SheetRows", lo: int, total: int, width: int) -> int:
    """Where the chunk from `lo` ends: CHUNK_ROWS rows on, or at the last row before that which
    opens a product's rows (one row per option), so that no product's rows are cut in two (a
    product cut in two is finished in Python, and built again on every forced re-read). Any cut
    gives the same products; a product of more than _LOOKBACK rows is cut where the rows end."""
    end = lo + CHUNK_ROWS
    if end >= total:
        return total
    start = max(lo, end - _LOOKBACK)
    _, typed = _chunk(sheet, start, end + 1 - start, width)
    n = pl.col
    keys = key_fields(typed).select(key=group_key()).with_columns(first=opens_run(n("key")), before=n("key").shift(1))
    cuts = keys.with_row_index("k").filter(n("first") & n("key").is_not_null() & n("before").is_not_null()
                                           & (n("k") > 0)).get_column("k")
    return start + int(cuts[-1]) if len(cuts) else end


def _count(result: FetchResult, stat: str, n: int) -> None:
    result.stats[stat] = result.stats.get(stat, 0) + n


def _build_chunk(cat, sheet, typed, digests, runs, width, result) -> tuple[pl.DataFrame, list[list]]:
    """A chunk's normalised frame and the walk's lists: its products' JSON built column-wise, or
    for a chunk of unchanged runs their stored hashes (Unchanged)."""
    frame = normalise(typed)
    if runs is not None:
        lists = unchanged_lists(runs, digests, frame.height)
    else:
        built = product_json(typed, frame, sheet.columns, cat.supplier_key, cat.default_shipping_fee, width)
        g_size = built.get_column("g_size")
        _count(result, "rows_columnar", int(g_size.sum() - g_size.count()))
        lists = [built.get_column(c).to_list() for c in built.columns]
        lists.append(group_digests(digests, g_size).to_list())
    _count(result, "rows_columnar", int(frame.select((pl.col("fast") & pl.col("nonempty")).sum()).item()))
    return frame, lists


def _all_new_unchanged(runs: pl.DataFrame, by_sku, cat, sheet, lo, first_row, state) -> bool:
    """A chunk of unchanged runs (excel_digests.unchanged_runs), each code new: its products as
    Unchanged, in row order, as the walk would take them; False (nothing done) otherwise."""
    skus = runs.get_column("supplier_sku")
    if skus.n_unique() != runs.height or not by_sku.keys().isdisjoint(sku_list := skus.to_list()):
        return False
    status = runs.select(pl.when(pl.col("status") == "soldout").then(pl.lit("soldout")).otherwise(pl.lit("active")))
    by_sku.update(zip(sku_list, zip(
        sku_list, runs.get_column("content_hash").to_list(), status.to_series().to_list(),
        runs.get_column("name").to_list(), [None] * runs.height, runs.get_column("digest").to_list())))
    prefix = f"{cat.path.name}!{sheet.sheet}:row "
    base = sheet.header_row + 2 + lo
    first_row.update(zip(sku_list, [f"{prefix}{base + k}" for k in runs.get_column("gid").to_list()]))
    state["last_sku"] = sku_list[-1]
    state["rows_seen"] += int(runs.get_column("size").sum())
    return True


def _all_new_plain(frame, by_sku, cat, sheet, lo, lists, first_row, state) -> bool:
    """A chunk whose every row is one product built column-wise, each code new (the usual flat
    catalog): taken as a whole, in row order, as the walk would; False (nothing done) otherwise."""
    js, sold, group_rows, digests = lists
    if not frame.height or None in js or any(g is not None for g in group_rows):
        return False
    skus = frame.get_column("supplier_sku")
    if skus.n_unique() != frame.height or not by_sku.keys().isdisjoint(skus.to_list()):
        return False
    names = frame.get_column("name").to_list()
    prefix = f"{cat.path.name}!{sheet.sheet}:row "
    base = sheet.header_row + 2 + lo
    sku_list = skus.to_list()
    by_sku.update(zip(sku_list, [(k, j, "soldout" if s else "active", n, None, d)
                                 for k, j, s, n, d in zip(sku_list, js, sold, names, digests)]))
    first_row.update(zip(sku_list, [f"{prefix}{base + k}" for k in range(len(sku_list))]))
    state["last_sku"] = sku_list[-1]
    state["rows_seen"] += len(sku_list)
    return True


def _walk_rows(cat, sheet, rows, lo, c, built, by_sku, first_row, result, state) -> None:
    from dropship_core.suppliers.excel import (BadValue, _raw_dict, _row_dict, _text, refuse_control_characters,
                                               row_sku)

    fast, nonempty, has_option, simple = c["fast"], c["nonempty"], c["has_option"], c["simple_option"]
    skus, names = c["supplier_sku"], c["name"]
    js, sold, group_rows, digests = built
    last_sku: str | None = state["last_sku"]
    rows_seen = skip = 0
    prefix = f"{cat.path.name}!{sheet.sheet}:row "
    base = sheet.header_row + 2 + lo  # 1-based, as Excel shows it
    for k in range(len(rows)):
        if k < skip:  # an option row of a product built column-wise with its group
            continue
        built_json = js[k]
        if built_json is not None and group_rows[k] is None and skus[k] not in by_sku:
            # the common row, kept cheap: one product built column-wise, its code not seen before
            sku = last_sku = skus[k]
            by_sku[sku] = (sku, built_json, "soldout" if sold[k] else "active", names[k], None, digests[k])
            first_row[sku] = f"{prefix}{base + k}"
            rows_seen += 1
            continue
        if not nonempty[k]:
            last_sku = None
            continue
        rows_seen += 1
        rec = None
        try:
            if fast[k] or simple[k]:
                sku, name, opt = skus[k], names[k], has_option[k]
            else:
                refuse_control_characters(rows[k])
                rec = _row_dict(sheet, rows[k])
                sku, name = _text(rec.get("supplier_sku")), _text(rec.get("name"))
                opt = rec.get("option_value") not in (None, "")
            sku = row_sku(sku, name, last_sku, opt)
            product = by_sku.get(sku)
            if product.__class__ is JsonProduct and opt and (name is None or name == product[3]):
                product = by_sku[sku] = reopen(product)
            if product is not None and (name is None or name == _name(product)) and opt:
                if not (simple[k] and _add_simple_option(product, sku, c, k, rows[k])):
                    _add_option_row(product, sku, rec if rec is not None else _row_dict(sheet, rows[k]), rows[k],
                                    first_row[sku])
                last_sku = sku
                continue
            if product is not None:
                raise BadValue(f"duplicate supplier code {sku} (first at {first_row[sku]})")
            if js[k] is not None and group_rows[k] is not None:
                product = (sku, js[k], "soldout" if sold[k] else "active", name, c["status"][k], digests[k])
                skip = k + group_rows[k]
                rows_seen += group_rows[k] - 1
            elif js[k] is not None:
                product = (sku, js[k], "soldout" if sold[k] else "active", name, None, digests[k])
            elif fast[k]:
                product = _fast_product(cat, c, k, sku, sheet, rows[k])
            else:
                rec = rec if rec is not None else _row_dict(sheet, rows[k])
                product = cat._product(sku, name, rec, rows[k]).to_dict()
            by_sku[sku] = product
            first_row[sku] = f"{prefix}{base + k}"
            last_sku = sku
        except BadValue as e:
            line = base + k
            result.rejects.append(Reject(reason=str(e), raw=_raw_dict(None, rows[k]) | {"_row": line},
                                         source=f"{prefix}{line}"))
    state["last_sku"] = last_sku
    state["rows_seen"] += rows_seen



def fetch_columnar(cat: "ExcelCatalog", sheets: list["SheetRows"], result: FetchResult,
                   known: pl.DataFrame | None = None) -> list[Any]:
    """Walk every sheet; return the products as canonical dicts or JsonProducts (rejects land in
    `result`)."""
    by_sku: dict[str, dict[str, Any]] = {}
    first_row: dict[str, str] = {}
    rows_seen = 0
    for sheet in sheets:
        rows_seen += _walk_sheet(cat, sheet, by_sku, first_row, result, known)
    for p in by_sku.values():
        if p.__class__ is JsonProduct:
            continue
        if p["variants"] and p["stock"] is None:
            tracked = [v["stock"] for v in p["variants"] if v["stock"] is not None]
            p["stock"] = sum(tracked) if tracked else None
        if p["stock"] == 0 and p["status"] == STATUS_ACTIVE:
            p["status"] = STATUS_SOLDOUT
    result.stats["rows"] = rows_seen
    return list(by_sku.values())
