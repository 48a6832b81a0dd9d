"""Source row digests: what a forced re-read of an unchanged workbook compares with the store.

A product built column-wise records the digest of the rows it was built from, with the content
hash it was built into (migration 520): a product of one row the digest of that row, a product of
one row per option (excel_groups) the digest of its group's rows. A chunk of rows that are, run by
run of one product code, the stored products' rows again (same code, same digest) is not built
again: its products carry the stored content hash (excel_fetch.Unchanged).
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any

import polars as pl

from dropship_core.suppliers.excel_groups import group_key, opens_run

if TYPE_CHECKING:
    from dropship_core.suppliers.excel import ExcelCatalog, SheetRows

_SEEDS = (0x5EED1, 0x5EED2)


def digest_context(cat: "ExcelCatalog", sheet: "SheetRows", width: int) -> str:
    """What a product depends on besides its rows' cells: the reader, the supplier's settings, the
    sheet's column mapping (and the polars version, whose row hash is used)."""
    from dropship_core.suppliers.excel import READER_VERSION

    key = repr((READER_VERSION, cat.supplier_key, cat.default_shipping_fee, sorted(sheet.columns.items()), width,
                pl.__version__))
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def row_digests(typed: pl.DataFrame, context: str) -> pl.Series:
    """Per row, a digest of every cell (text, number and other-type halves) with the context: two
    64-bit row hashes of different seeds."""
    cells = typed.select(pl.col(r"^c\d+_[sfo]$"))
    if not cells.width:
        return pl.repeat(context, typed.height, dtype=pl.String, eager=True)
    a, b = (cells.hash_rows(seed=s) for s in _SEEDS)
    return pl.DataFrame({"a": a, "b": b}).select(pl.concat_str(
        [pl.lit(context), pl.col("a").cast(pl.String), pl.col("b").cast(pl.String)], separator=".")).to_series()


def _runs(frame: pl.DataFrame, *first: str) -> pl.DataFrame:
    """Per group of rows (`gid`, the index of its first row, in order): `size`, `digest` (a row
    alone keeps its own; several rows: their count and a digest of their digests in order) and
    the `first` named columns of its first row."""
    n = pl.col
    joined = n("d").str.join("+")
    return frame.group_by("gid", maintain_order=True).agg(
        *(n(c).first() for c in first), size=pl.len(),
        digest=pl.when(pl.len() == 1).then(n("d").first()).otherwise(pl.concat_str(
            pl.lit("g"), pl.len().cast(pl.String), *(joined.hash(s).cast(pl.String) for s in _SEEDS),
            separator=".")))


def group_digests(digests: pl.Series, g_size: pl.Series) -> pl.Series:
    """The digests the built products of a chunk record, per row: on the first row of a group of
    options (`g_size` rows) the digest of the group's rows, elsewhere the row's own."""
    if not g_size.is_not_null().any():
        return digests
    n = pl.col
    k = pl.int_range(pl.len(), dtype=pl.Int64)
    opened = pl.when(n("s").is_not_null())
    frame = pl.DataFrame({"s": g_size.cast(pl.Int64), "d": digests}).with_columns(
        gid=pl.when(k < opened.then(k + n("s")).forward_fill()).then(opened.then(k).forward_fill()).otherwise(k))
    runs = _runs(frame)
    return pl.DataFrame({"gid": pl.int_range(len(digests), dtype=pl.Int64, eager=True), "d": digests}).join(
        runs, on="gid", how="left", maintain_order="left").select(pl.coalesce("digest", "d")).to_series()


def unchanged_runs(keys: pl.DataFrame, digests: pl.Series, known: pl.DataFrame | None) -> pl.DataFrame | None:
    """For a chunk whose every row belongs to a run of one product code that is a stored product's
    rows again (same code, same digest of the run's rows): per run `gid` (its first row), `size`,
    `supplier_sku`, `name`, `digest`, the stored `content_hash` and `status`; None otherwise.
    `keys` are the chunk's `excel_columns.key_fields`."""
    if known is None or not keys.height or not keys.get_column("nonempty").all():
        return None
    n = pl.col
    frame = keys.select("name", supplier_sku=group_key(), d=digests).with_row_index("k").with_columns(
        first=opens_run(n("supplier_sku")))
    if frame.get_column("first").all():  # every row a product of its own (a flat catalog)
        runs = frame.select(n("k").cast(pl.Int64).alias("gid"), "supplier_sku", "name", size=pl.lit(1, pl.UInt32),
                            digest="d")
    else:
        runs = _runs(frame.with_columns(gid=pl.when(n("first")).then(n("k")).forward_fill().cast(pl.Int64)),
                     "supplier_sku", "name")
    runs = runs.join(known, on=["supplier_sku", "digest"], how="left", maintain_order="left")
    if runs.get_column("content_hash").null_count():
        return None
    return runs


def unchanged_lists(runs: pl.DataFrame, digests: pl.Series, height: int) -> list[list]:
    """The walk's lists (JSON, sold, group rows, digests) for a chunk of unchanged runs: on the
    first row of each, the stored hash in place of the JSON (Unchanged), the stored status, its
    rows when there are several, its digest; None elsewhere."""
    js: list[Any] = [None] * height
    sold: list[Any] = [None] * height
    group_rows: list[Any] = [None] * height
    dig = digests.to_list()
    for k, size, digest, h, status in runs.select("gid", "size", "digest", "content_hash", "status").iter_rows():
        js[k], sold[k], dig[k] = h, status == "soldout", digest
        if size > 1:
            group_rows[k] = size
    return [js, sold, group_rows, dig]


def in_background(call):
    """Start `call()` in a daemon thread (an unreadable file does not wait for it, nor does the
    process at exit); the returned function waits for its result (or raises its error)."""
    box: dict[str, Any] = {}

    def run():
        try:
            box["value"] = call()
        except BaseException as e:  # handed to the waiter
            box["error"] = e

    t = threading.Thread(target=run, daemon=True, name="source-row-digests")
    t.start()

    def wait():
        t.join()
        if "error" in box:
            raise box["error"]
        return box["value"]

    return wait


def known_frame(known: dict[str, tuple[str, str, str]] | None) -> pl.DataFrame | None:
    """The stored products' source row digests (item id -> (digest, content hash, status)) as a
    frame to join chunks with."""
    if not known:
        return None
    ids = list(known)
    return pl.DataFrame({"supplier_sku": ids, "digest": [known[i][0] for i in ids],
                         "content_hash": [known[i][1] for i in ids], "status": [known[i][2] for i in ids]},
                        schema=dict.fromkeys(("supplier_sku", "digest", "content_hash", "status"), pl.String))
