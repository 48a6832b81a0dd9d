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

import itertools
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Iterable, Iterator

from dropship_core import config
from dropship_core.suppliers.excel import ExcelReadError

# the usual attribute order first (fast, literal prefix); any other order takes the general pattern
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


def _columns_of(buf: bytes, hi_col: int) -> int:
    """The rightmost column referenced in buf, at least `hi_col`, for a chunk with a cell that is
    not the usual (reference first, one letter, within `hi_col`): a few searches."""
    regular = _CELL_ODD.search(buf) is None
    if regular and hi_col < 26 and _NONE_BEYOND[hi_col].search(buf) is None:
        pass  # no cell right of the rightmost one so far, wide or not
    elif wide := (_WIDE_FAST if regular else _WIDE_ANY).findall(buf):
        hi_col = max(hi_col, max(_col_number(c) for c in set(wide)))
    elif hi_col < 26:
        hi_col = _max_single_letter(buf, hi_col) if regular else 26
    return hi_col


# every row tag, its reference when that is its first attribute (else b"")
_ROW_TAG = re.compile(rb'<row (?:r="(\d+)")?')
# a cell tag other than the usual one, the reference first, of one letter up to the n-th (A..Z)
_CELL_UNUSUAL = {n: re.compile(b'<c (?!r="[A-' + bytes([64 + n]) + b']\\d)') for n in range(1, 27)}


def _scan(chunks: Iterable[bytes]) -> tuple[int, int]:
    """(rows, columns) spanned by the cells in a worksheet's XML, given in chunks: per chunk one
    search for row tags and one for any cell tag that is not the usual (few chunks have one)."""
    lo_row = hi_row = None
    hi_col, tail = 1, b""
    for chunk in itertools.chain(chunks, (b"",)):
        buf = tail + chunk
        cut = buf.rfind(b"<") if chunk else len(buf)
        if cut < 0:  # no tag starts in the chunk: all but its last byte is scanned
            cut = max(len(buf) - 1, 0)
        tail = buf[cut:]
        refs = _ROW_TAG.findall(buf, 0, cut)
        if b"" in refs:  # a row whose reference is not its first attribute
            refs = _ROW_ANY.findall(buf, 0, cut)
        if refs:
            rows = [int(r) for r in refs]
            lo_row = min(rows) if lo_row is None else min(lo_row, min(rows))
            hi_row = max(rows) if hi_row is None else max(hi_row, max(rows))
        if _CELL_UNUSUAL[min(hi_col, 26)].search(buf, 0, cut) is not None:
            hi_col = _columns_of(buf[:cut], hi_col)
    if lo_row is None:
        return 0, 0
    return hi_row - lo_row + 1, hi_col


class _Unusual(Exception):
    """A zip member the raw read does not take as zipfile would (scanned through zf.open instead)."""


# a local file header: signature, 22 bytes of fields the directory also has, name and extra lengths
_LOCAL = struct.Struct("<4s22xHH")
_RAW_READ = 1 << 20


def _raw_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A stored or deflated member's bytes, inflated straight from its local entry in chunks of at
    most _CHUNK: what zf.open reads, without its per-read bookkeeping. The CRC is checked at the
    end; anything zf.open might read otherwise or refuse (another method, encryption, a header or
    size that does not match the directory, a bad CRC) raises _Unusual."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x61:
        raise _Unusual
    fp = zf.fp
    fp.seek(info.header_offset)
    head = fp.read(_LOCAL.size)
    if len(head) != _LOCAL.size:
        raise _Unusual
    magic, n_name, n_extra = _LOCAL.unpack(head)
    encoding = "utf-8" if info.flag_bits & 0x800 else (getattr(zf, "metadata_encoding", None) or "cp437")
    try:
        if magic != b"PK\x03\x04" or fp.read(n_name).decode(encoding) != info.orig_filename:
            raise _Unusual
    except UnicodeDecodeError:
        raise _Unusual from None
    fp.seek(n_extra, 1)
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, size, crc = info.compress_size, 0, 0
    while True:
        data = inflate.unconsumed_tail if inflate is not None else b""
        if not data and left > 0:
            data = fp.read(min(left, _RAW_READ if inflate is not None else _CHUNK))
            if not data:
                raise _Unusual  # the file ends before the member does
            left -= len(data)
        out = inflate.decompress(data, _CHUNK) if inflate is not None else data
        size += len(out)
        if size > info.file_size:
            raise _Unusual
        crc = zlib.crc32(out, crc)
        if out:
            yield out
        if inflate is not None and inflate.eof or not out and not data:
            break
    if size != info.file_size or crc != info.CRC or inflate is not None and not inflate.eof:
        raise _Unusual


def _sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """(rows, columns) spanned by the cells of one worksheet, streamed through in chunks."""
    try:
        return _scan(_raw_chunks(zf, info))
    except _Unusual:
        pass
    with zf.open(info) as f:
        return _scan(iter(lambda: f.read(_CHUNK), b""))


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
