"""Limits on supplier files, checked before a workbook is parsed.

A hostile or broken file must fail with a clear error instead of exhausting memory:
- the zip directory's uncompressed sizes (a zip bomb is refused before anything is inflated);
- every worksheet's cell extent (rows x columns, from the row and cell references in its XML,
  never from the `<dimension>` tag a file can lie in) against a maximum cell count, so a 5 KB
  workbook with one cell at XFD1048576 is refused before a reader allocates the grid;
- a maximum number of rows per file (also for CSV).
All limits are settings (dropship_core.config).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from dropship_core import config
from dropship_core.suppliers.excel import ExcelReadError

# the usual attribute order first (fast, literal prefix); any other order takes the general pattern
_ROW_FAST = re.compile(rb'<row r="(\d+)"')
_ROW_ANY = re.compile(rb'<row\b[^>]*?\sr="(\d+)"')
_WIDE_FAST = re.compile(rb'<c r="([A-Z]{2,3})\d')
_WIDE_ANY = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{2,3})\d')
_CHUNK = 8 << 20


class ExcelLimitError(ExcelReadError):
    """The file is over a configured limit; nothing of it was read."""


def max_rows() -> int:
    return int(config.get("DROPSHIP_EXCEL_MAX_ROWS"))


def max_cells() -> int:
    return int(config.get("DROPSHIP_EXCEL_MAX_CELLS"))


def max_unzipped_bytes() -> int:
    return int(float(config.get("DROPSHIP_EXCEL_MAX_UNZIPPED_MB")) * (1 << 20))


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


_BEYOND = {n: re.compile(b'<c r="[' + bytes([65 + n]) + b'-Z]\\d') for n in range(1, 26)}
# a cell of two or three letters, or of one letter right of the n-th
_NONE_BEYOND = {n: re.compile(b'<c r="(?:[A-Z]{2}|[' + bytes([65 + n]) + b'-Z]\\d)') for n in range(1, 26)}


def _max_single_letter(buf: bytes, current: int) -> int:
    """The rightmost one-letter column (A..Z) referenced in buf, at least `current`: one search
    for anything beyond the current maximum, repeated only when found (cells whose reference is
    not their first attribute are counted by the caller)."""
    while current < 26:
        m = _BEYOND[current].search(buf)
        if m is None:
            break
        current = m.group()[6] - 64
    return current


# a cell tag whose first attribute is not its reference (one search, stops at the first)
_CELL_ODD = re.compile(rb'<c (?!r=")')


def _sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """(rows, columns) spanned by the cells of one worksheet, streamed through in chunks."""
    lo_row = hi_row = None
    hi_col, tail = 1, b""
    with zf.open(info) as f:
        while True:
            chunk = f.read(_CHUNK)
            buf = tail + chunk
            cut = buf.rfind(b"<") if chunk else len(buf)
            buf, tail = buf[:cut], buf[cut:]
            refs = _ROW_FAST.findall(buf)
            if len(refs) != buf.count(b"<row "):  # a row whose reference is not its first attribute
                refs = _ROW_ANY.findall(buf)
            rows = [int(r) for r in refs]
            if rows:
                lo_row = min(rows) if lo_row is None else min(lo_row, min(rows))
                hi_row = max(rows) if hi_row is None else max(hi_row, max(rows))
            regular = _CELL_ODD.search(buf) is None
            if regular and hi_col < 26 and _NONE_BEYOND[hi_col].search(buf) is None:
                pass  # no cell right of the rightmost one so far, wide or not: one scan, the usual chunk
            elif wide := (_WIDE_FAST if regular else _WIDE_ANY).findall(buf):
                hi_col = max(hi_col, max(_col_number(c) for c in set(wide)))
            elif hi_col < 26:
                hi_col = _max_single_letter(buf, hi_col) if regular else 26
            if not chunk:
                break
    if lo_row is None:
        return 0, 0
    return hi_row - lo_row + 1, hi_col


def check_workbook(path: Path) -> int:
    """Refuse a workbook over the limits, before it is parsed. Non-zip files pass through (the
    reader reports them). Returns the most rows any sheet spans (0 when not known)."""
    if path.suffix.lower() == ".csv":
        return 0
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return 0
    most = 0
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > max_unzipped_bytes():
            raise ExcelLimitError(
                f"{path.name}: unpacks to {total / (1 << 20):,.0f} MB, over the limit of "
                f"{max_unzipped_bytes() / (1 << 20):,.0f} MB (DROPSHIP_EXCEL_MAX_UNZIPPED_MB); not read")
        for info in infos:
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            rows, cols = _sheet_extent(zf, info)
            if rows * cols > max_cells():
                raise ExcelLimitError(
                    f"{path.name}: {info.filename.rsplit('/', 1)[-1]} spans {rows:,} rows x {cols:,} columns "
                    f"({rows * cols:,} cells), over the limit of {max_cells():,} cells (DROPSHIP_EXCEL_MAX_CELLS);"
                    " not read")
            if rows > max_rows() + 1:
                raise ExcelLimitError(
                    f"{path.name}: {info.filename.rsplit('/', 1)[-1]} has {rows - 1:,} rows, over the limit of "
                    f"{max_rows():,} rows per file (DROPSHIP_EXCEL_MAX_ROWS); not read")
            most = max(most, rows)
    return most


def check_row_count(name: str, rows: int) -> None:
    if rows > max_rows() + 1:
        raise ExcelLimitError(f"{name}: {rows - 1:,} rows, over the limit of {max_rows():,} rows per file"
                              " (DROPSHIP_EXCEL_MAX_ROWS); not read")
