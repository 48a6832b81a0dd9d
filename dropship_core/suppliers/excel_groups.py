"""One row per option, column-wise: a product row with one option followed by rows that each add
one more option (the product code repeated, or blank under a merged cell) becomes one product with
its variants, its total stock and its raw option rows, built by vectorised expressions.

The rules are the walk's (excel_fetch) and the row reader's: the first option's code is the
product code and the option's slug, later ones are numbered; an option's stock is its own cell or
else the row's stock; the product's stock is the sum of the options' known stocks. A group stops at
the first row that is not plainly one more option of the same product (a repeated option, a list
of options, a cell of another type, an empty row, ...): that row and the rest go the walk's way,
which reopens the product and goes on as the row reader would.
"""

from __future__ import annotations

import polars as pl

from dropship_core.suppliers.excel_columns import _BIG, _enc, _int_or_null


def cells_json(df: pl.DataFrame, width: int) -> tuple[pl.Expr, pl.Expr]:
    """Every non-blank cell of a row by position (`_raw_dict(None, row)`) as orjson writes it,
    keys sorted (col1, col10, col2, ...), and whether that is exact (no cell of another type,
    numbers whole)."""
    parts, ok = [], pl.lit(True)
    for i in sorted(range(width), key=lambda i: f"col{i + 1}"):
        s, f, o = pl.col(f"c{i}_s"), pl.col(f"c{i}_f"), pl.col(f"c{i}_o")
        key = pl.lit(f'"col{i + 1}":')
        number = f.cast(pl.Int64, strict=False).cast(pl.String)
        parts.append(pl.when(s.is_not_null() & (s != "")).then(pl.concat_str(key, _enc(s)))
                     .when(f.is_not_null()).then(pl.concat_str(key, number, pl.lit(".0"))))
        ok = ok & ~o & (f.is_null() | ((f.round(0) == f) & (f.abs() < _BIG)))
    if not parts:
        return pl.lit("{}"), pl.lit(True)
    return pl.concat_str(pl.lit("{"), pl.concat_str(parts, separator=",", ignore_nulls=True), pl.lit("}")), \
        ok.fill_null(False)


def _variant_json(sku: pl.Expr, stock: pl.Expr) -> pl.Expr:
    n = pl.col
    return pl.concat_str(pl.lit('{"options":{'), _enc(n("option_key")), pl.lit(":"), _enc(n("option_value")),
                         pl.lit('},"price_delta":'), n("option_delta").cast(pl.String), pl.lit(',"sku":'),
                         _enc(sku), pl.lit(',"stock":'), _int_or_null(stock), pl.lit("}"))


def group_key() -> pl.Expr:
    """The product code a row belongs to: its own, or the one above for an option row under a
    merged cell (null at the top of a chunk); "\x00" for a row with neither (an empty row, a row
    without a code), which belongs to none."""
    n = pl.col
    merged = n("supplier_sku").is_null() & n("name").is_null() & n("has_option")
    return pl.when(n("supplier_sku").is_not_null()).then(n("supplier_sku")).when(merged).then(None) \
        .otherwise(pl.lit("\x00")).forward_fill()


def opens_run(key: pl.Expr) -> pl.Expr:
    """Where a run of rows of one product code starts (a row of no code is a run of its own)."""
    return (key != key.shift(1)).fill_null(True) | (key == "\x00")


def option_groups(df: pl.DataFrame, norm: pl.DataFrame, start: pl.Expr, width: int) -> pl.DataFrame:
    """Per row of the chunk: for the first row of a group `g_size` (its rows), `g_stock`,
    `g_variants` (the variants' JSON list) and `g_option_rows` (the JSON of the later rows, null
    when there are none); nulls elsewhere. `start` says which rows may open a group.

    Rows are grouped by the product code they belong to (their own, or the one above for an
    option row under a merged cell; an empty row or a row without a code belongs to none); a group
    is its first row and the unbroken run of plain option rows after it. Every step is over the
    whole chunk (runs are contiguous), no per-group windows."""
    n = pl.col
    if not norm.select(start.fill_null(False).any()).item():  # no one-option rows: nothing to group
        return pl.DataFrame(schema={"g_size": pl.Int64, "g_stock": pl.Int64, "g_variants": pl.String,
                                    "g_option_rows": pl.String}).clear(norm.height)
    _, cells_ok = cells_json(df, width)
    frame = norm.select("simple_option", "name", "option_key", "option_value", "option_delta", "option_stock",
                        "stock", "option_slug", start=start.fill_null(False), key=group_key()).with_columns(
        df.select(cells_ok=cells_ok)).with_row_index("k")
    first = opens_run(n("key"))
    frame = frame.with_columns(first=first, g=first.cum_sum())
    frame = frame.with_columns(gname=pl.when(n("first")).then(n("name").fill_null("\x00")).forward_fill(),
                               k0=pl.when(n("first")).then(n("k")).forward_fill())
    cont = n("simple_option") & n("cells_ok") & (n("name").is_null() | (n("name") == n("gname"))) \
        & pl.struct("g", "option_key", "option_value").is_first_distinct()
    bad = (~pl.when(n("first")).then(n("start")).otherwise(cont).fill_null(False)).cast(pl.Int32)
    frame = frame.with_columns(bad=bad.cum_sum(), b0=bad)
    frame = frame.with_columns(base=pl.when(n("first")).then(n("bad") - n("b0")).forward_fill())
    frame = frame.filter(n("bad") == n("base"))
    pos = n("k") - n("k0")
    vsku = pl.when(pos == 0).then(pl.concat_str(n("key"), pl.lit("-"), n("option_slug"))) \
        .otherwise(pl.concat_str(n("key"), pl.lit("-"), (pos + 1).cast(pl.String)))
    vstock = pl.coalesce(n("option_stock"), n("stock"))
    frame = frame.with_columns(vjson=_variant_json(vsku, vstock), vstock=vstock)
    agg = frame.group_by("g", maintain_order=True).agg(
        k=n("k").first(), g_size=pl.len().cast(pl.Int64),
        g_stock=pl.when(n("vstock").is_not_null().any()).then(n("vstock").sum()),
        g_variants=pl.concat_str(pl.lit("["), n("vjson").str.join(","), pl.lit("]")))
    # the raw cells of the option rows after each group's first, built for those rows only
    later = frame.filter(pos > 0).select("g", "k")
    cells, _ = cells_json(df, width)
    later = later.with_columns(df.select(pl.col(r"^c\d+_[sfo]$").gather(later.get_column("k"))).select(cells=cells))
    agg = agg.join(later.group_by("g", maintain_order=True).agg(g_option_rows=n("cells").str.join(",")),
                   on="g", how="left", maintain_order="left")
    rows = pl.DataFrame({"k": pl.int_range(norm.height, eager=True, dtype=pl.UInt32)})
    return rows.join(agg.drop("g"), on="k", how="left", maintain_order="left").drop("k")
