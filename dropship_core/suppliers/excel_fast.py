"""The fast read of an .xlsx sheet: fastexcel (calamine in Rust) straight into a polars frame,
one column per sheet column, instead of a Python object per cell.

It is taken only for a sheet it can vouch for, where the frame holds exactly the cells the
reference read (python-calamine's `to_python`) gives, and is otherwise declined (None) so the
caller reads that sheet the reference way:
- every column below the first row is strictly one type, text or number (fastexcel's strict
  inference over all rows): no booleans, dates or durations, no column mixing text and numbers;
- the first row of the sheet is read as column names: those must be text as the reference reads
  it (a name that looks like a number may have been a number cell, a name with a `_<n>` suffix
  after the same name may be fastexcel's de-duplication: declined);
- the header row the reference would pick among the first rows is found in the frame.
Cells are then given by position from column A, empty cells as the reference's '' (blank).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import polars as pl

# fastexcel logs a warning for every all-blank column (it reads it as text); that is expected here
logging.getLogger("fastexcel").setLevel(logging.ERROR)

FAST_SUFFIXES = (".xlsx", ".xlsm")
_NUMBERISH = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|NaN)")
_ALIASED = re.compile(r"(.*)_(\d+)")
_PROBE_ROWS = 30


class FastSheet:
    """The cells of one sheet below its header row, by position from column A: a polars frame from
    fastexcel (`frame`, its column j is sheet column `col_off + j`), `width` columns in all."""

    def __init__(self, frame: pl.DataFrame, col_off: int, width: int):
        self.frame, self.col_off, self.width = frame, col_off, width

    def __len__(self) -> int:
        return self.frame.height

    def cells(self, lo: int, n: int) -> list[tuple[pl.Series, pl.Series, pl.Series]]:
        """(text cells, number cells, present) of every column for rows lo..lo+n, as the
        reference's column split gives them (blank text cells are '', number cells text-null)."""
        chunk = self.frame.slice(lo, n)
        h = chunk.height
        out = []
        for i in range(self.width):
            j = i - self.col_off
            if j < 0 or j >= chunk.width:
                s = pl.repeat("", h, dtype=pl.String, eager=True)
                out.append((s, pl.repeat(None, h, dtype=pl.Float64, eager=True),
                            pl.repeat(False, h, dtype=pl.Boolean, eager=True)))
                continue
            col = chunk.to_series(j)
            if col.dtype == pl.Float64:
                present = col.is_not_null()
                blank = pl.repeat("", h, dtype=pl.String, eager=True)
                out.append((blank.zip_with(~present, pl.repeat(None, h, dtype=pl.String, eager=True)), col, present))
            else:
                s = col.cast(pl.String).fill_null("")
                out.append((s, pl.repeat(None, h, dtype=pl.Float64, eager=True), s != ""))
        return out

    def rows(self, lo: int, n: int) -> "LazyRows":
        return LazyRows(self, lo, n)


class LazyRows:
    """Rows lo..lo+n of a FastSheet as the reference's Python lists, built when first asked for
    (the column-wise walk needs only the few rows it hands to the row reader)."""

    def __init__(self, sheet: FastSheet, lo: int, n: int):
        self.sheet, self.lo, self.n = sheet, lo, min(n, len(sheet) - lo)
        self._cols: list[list[Any]] | None = None

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k: int) -> list[Any]:
        if self._cols is None:
            chunk = self.sheet.frame.slice(self.lo, self.n)
            self._cols = [chunk.to_series(j).to_list() for j in range(chunk.width)]
        off = self.sheet.col_off
        row: list[Any] = [""] * self.sheet.width
        for j, col in enumerate(self._cols):
            v = col[k]
            if v is not None:
                row[off + j] = v
        return row


def _header_names(columns) -> list[str] | None:
    """The first row's cells by position from column A, or None when a name may not be the text
    the reference reads."""
    if not columns:
        return None
    col_off = columns[0].absolute_index
    names = [""] * col_off
    seen: list[str] = []
    for k, c in enumerate(columns):
        if c.absolute_index != col_off + k or c.dtype not in ("string", "float"):
            return None
        if c.column_name_from != "looked_up":
            names.append("")
            continue
        name = c.name
        m = _ALIASED.fullmatch(name)
        if _NUMBERISH.fullmatch(name.strip()) or (m and m.group(1) in seen):
            return None
        seen.append(name)
        names.append(name)
    return names


# sheets of more rows are read by the reference reader (memory, see read_sheets_fast)
FAST_MAX_ROWS = 400_000


def read_fast(reader, sheet_name: str, path: Path):
    """(header row index, header cells, FastSheet of the rows below it, rows in the sheet) of one
    sheet, or None when the fast read cannot vouch for it. Raises ExcelLimitError like the
    reference read for a sheet over the row limit."""
    from dropship_core.suppliers.excel import locate_header
    from dropship_core.suppliers.excel_limits import check_row_count

    try:
        sheet = reader.load_sheet(sheet_name, header_row=0, skip_rows=0, schema_sample_rows=None,
                                  dtype_coercion="strict")
        columns = sheet.available_columns()
        frame = sheet.to_polars()
    except Exception:  # mixed types, an empty sheet, anything fastexcel refuses: the reference decides
        return None
    names = _header_names(columns)
    if names is None or frame.width != len(columns):
        return None
    check_row_count(path.name, frame.height + 1)
    width = len(names)
    col_off = columns[0].absolute_index
    probe = [names]
    for r in frame.head(_PROBE_ROWS - 1).iter_rows():
        row: list[Any] = [""] * width
        for j, v in enumerate(r):
            if v is not None:
                row[col_off + j] = v
        probe.append(row)
    loc = locate_header(probe)
    if loc is None:
        return None
    hi, _ = loc
    # frame row j is sheet row j + 1: the rows below a header at sheet row hi start at frame row hi
    return hi, probe[hi], FastSheet(frame.slice(hi), col_off, width), frame.height + 1


def read_sheets_fast(path: Path) -> list[tuple[str, Any, Any]]:
    """Every sheet of an .xlsx as (name, None, (header row index, header cells, FastSheet)) where
    the fast read vouches for it, else (name, rows, None) as the reference read gives them; the
    limits are checked first, as the reference read does."""
    from dropship_core.suppliers.excel_sheets import read_sheets
    from dropship_core.suppliers.excel_limits import check_workbook

    if check_workbook(path) > FAST_MAX_ROWS:
        # fastexcel holds a whole sheet as cells and then as Arrow at once: past this size the
        # reference read keeps the peak lower (1,000,000 rows: 2,152 MB fast, 1,902 MB reference)
        return [(name, rows, None) for name, rows in read_sheets(path, checked=True)]
    try:
        import fastexcel

        reader = fastexcel.read_excel(str(path))
        names = list(reader.sheet_names)
    except Exception:  # unreadable here: the reference read says why, in its words
        return [(name, rows, None) for name, rows in read_sheets(path, checked=True)]
    quick: dict[str, Any] = {}
    for name in names:
        got = read_fast(reader, name, path)
        if got is not None:
            quick[name] = got
    del reader
    slow = {n: rows for n, rows in read_sheets(path, only=set(names) - set(quick), checked=True)} \
        if len(quick) < len(names) else {}
    out: list[tuple[str, Any, Any]] = []
    for name in names:
        if name in quick:
            hi, header, sheet, _ = quick[name]
            out.append((name, None, (hi, header, sheet)))
        elif name in slow:
            out.append((name, slow[name], None))
    return out
