"""Limits on supplier files, checked before a workbook is parsed.

A hostile or broken file must fail with a clear error instead of exhausting memory:
- the zip directory's uncompressed sizes (a zip bomb is refused before anything is inflated);
- every worksheet's cell extent (rows x columns, from the row and cell references in its XML,
  however they are written, never from the `<dimension>` tag a file can lie in; excel_extent)
  against a maximum cell count, so a 5 KB workbook with cells at A1 and XFD1048576 is refused
  before a reader allocates the grid. Every part of the zip is scanned, since the workbook's
  relationships may name any of them as a sheet; for an OpenDocument file, its tables with their
  repeated rows and cells;
- a maximum number of rows per file (also for CSV).
All limits are settings (dropship_core.config).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from dropship_core import config
from dropship_core.suppliers import excel_extent, excel_xls
from dropship_core.suppliers.excel import ExcelReadError

T = TypeVar("T")

_CHUNK = 8 << 20


class ExcelLimitError(ExcelReadError):
    """The file is over a configured limit; nothing of it was read."""


def max_rows() -> int:
    return int(config.get("DROPSHIP_EXCEL_MAX_ROWS"))


def max_cells() -> int:
    return int(config.get("DROPSHIP_EXCEL_MAX_CELLS"))


def max_unzipped_bytes() -> int:
    return int(float(config.get("DROPSHIP_EXCEL_MAX_UNZIPPED_MB")) * (1 << 20))


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


def check_size(name: str, nbytes: int, what: str = "") -> None:
    """Refuse a file (or what a zip unpacks to) over DROPSHIP_EXCEL_MAX_UNZIPPED_MB."""
    if nbytes > max_unzipped_bytes():
        raise ExcelLimitError(f"{name}: {what}{nbytes / (1 << 20):,.0f} MB, over the limit of "
                              f"{max_unzipped_bytes() / (1 << 20):,.0f} MB (DROPSHIP_EXCEL_MAX_UNZIPPED_MB); not read")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, scan: Callable[[Iterable[bytes]], T]) -> T:
    """scan(the member's bytes in chunks): inflated from its local entry, or through zf.open when
    the raw read does not take it."""
    try:
        return scan(_raw_chunks(zf, info))
    except _Unusual:
        pass
    with zf.open(info) as f:
        return scan(iter(lambda: f.read(_CHUNK), b""))


def _sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """(rows, columns) spanned by the cells of one part, streamed through in chunks: the fast scan,
    else (XML written another way) the general one; (0, 0) for a part that is no worksheet."""
    try:
        return _read_member(zf, info, excel_extent.scan_usual)
    except excel_extent.Irregular:
        pass
    if not _read_member(zf, info, excel_extent.contains_sheet_data):
        return 0, 0
    return _read_member(zf, info, excel_extent.scan_xml)


def _check_extent(path: Path, part: str, rows: int, cols: int) -> None:
    if rows * cols > max_cells():
        raise ExcelLimitError(
            f"{path.name}: {part} spans {rows:,} rows x {cols:,} columns ({rows * cols:,} cells), over "
            f"the limit of {max_cells():,} cells (DROPSHIP_EXCEL_MAX_CELLS); not read")
    if rows > max_rows() + 1:
        raise ExcelLimitError(
            f"{path.name}: {part} has {rows - 1:,} rows, over the limit of {max_rows():,} rows per file "
            "(DROPSHIP_EXCEL_MAX_ROWS); not read")


def check_workbook(path: Path) -> int:
    """Refuse a workbook over the limits, before it is parsed: a zip workbook (`.xlsx`, `.ods`) by
    its parts, an `.xls` compound file by its records; anything else passes through (the reader
    reports it). Returns the most rows any sheet spans (0 when not known)."""
    if path.suffix.lower() == ".csv":
        return 0
    try:
        with open(path, "rb") as f:
            compound = f.read(8) == excel_xls.SIGNATURE
    except OSError:
        return 0
    if compound:
        return _check_xls(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return 0
    most = 0
    with zf:
        infos = zf.infolist()
        check_size(path.name, sum(i.file_size for i in infos), "unpacks to ")
        ods = path.suffix.lower() == ".ods"
        for info in infos:
            if info.is_dir() or ods and info.filename != "content.xml":
                continue
            part = info.filename.rsplit("/", 1)[-1]
            try:
                if ods:
                    extents = [(f"table {name!r}", rows, cols) for name, rows, cols
                               in _read_member(zf, info, excel_extent.scan_ods)]
                else:  # every part: the workbook's relationships may name any of them as a sheet
                    extents = [(part, *_sheet_extent(zf, info))]
            except excel_extent.NotWellFormed as e:
                raise ExcelLimitError(f"{path.name}: {part} is {e}; not read") from None
            for what, rows, cols in extents:
                _check_extent(path, what, rows, cols)
                most = max(most, rows)
    return most


def _check_xls(path: Path) -> int:
    """An `.xls` (compound file) workbook: each sheet's DIMENSIONS and cell records against the
    limits (excel_xls). Returns the most rows a sheet spans."""
    check_size(path.name, path.stat().st_size)
    try:
        stream = excel_xls.workbook_stream(path.read_bytes())
    except (excel_xls.NotCompound, struct.error) as e:
        # a compound file this walk cannot follow is not handed to a reader it might exhaust
        raise ExcelLimitError(f"{path.name}: not a readable .xls compound file ({e}); not read") from None
    most = 0
    for i, (rows, cols) in enumerate(excel_xls.xls_extents(stream), 1):
        _check_extent(path, f"sheet {i}", rows, cols)
        most = max(most, rows)
    return most


def check_row_count(name: str, rows: int) -> None:
    if rows > max_rows() + 1:
        raise ExcelLimitError(f"{name}: {rows - 1:,} rows, over the limit of {max_rows():,} rows per file"
                              " (DROPSHIP_EXCEL_MAX_ROWS); not read")
