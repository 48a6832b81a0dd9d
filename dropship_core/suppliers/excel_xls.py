"""The extent of an `.xls` workbook's sheets, read off its records before a reader allocates them.

An `.xls` file is a compound file (MS-CFB) holding a `Workbook` stream of BIFF records. The
reader (calamine) reserves a sheet's cells from its DIMENSIONS record and then places each cell
record at its row and column; both can lie: a 6 KB file whose DIMENSIONS says 65,536 x 16,384
made the reader abort on the allocation, and two cells at A1 and (65,535, 255) cost 1 GB.
`xls_extents` returns, per sheet, the rows and columns its DIMENSIONS record and its cell records
span (the larger of the two), so excel_limits can refuse the file first. A file that is not a
readable compound file is left to the reader (it reports it).
"""

from __future__ import annotations

import struct
from typing import Iterator

SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END, _FREE = 0xFFFFFFFE, 0xFFFFFFFF
_MAX_SECTORS = 1 << 24


class NotCompound(ValueError):
    """Not a compound file this reader can walk (the workbook reader reports why)."""


def _chain(fat: list[int], start: int) -> Iterator[int]:
    """The sectors of a chain, refusing loops and sectors past the table."""
    seen = 0
    s = start
    while s not in (_END, _FREE):
        if s >= len(fat) or seen > len(fat):
            raise NotCompound("a sector chain runs outside the table or loops")
        yield s
        seen += 1
        s = fat[s]


def workbook_stream(data: bytes) -> bytes:
    """The `Workbook` (BIFF8) or `Book` (BIFF5) stream of a compound file's bytes."""
    if data[:8] != SIGNATURE or len(data) < 512:
        raise NotCompound("no compound file signature")
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if not 7 <= shift <= 16 or not 1 <= mini_shift < shift:
        raise NotCompound("sector sizes out of range")
    size, mini = 1 << shift, 1 << mini_shift
    dir_start, = struct.unpack_from("<I", data, 0x30)
    cutoff, minifat_start, _n_minifat, difat_start, n_difat = struct.unpack_from("<IIIII", data, 0x38)
    n_sectors = min((len(data) - size) // size + 1, _MAX_SECTORS)

    def sector(n: int) -> bytes:
        off = (n + 1) * size
        if n >= n_sectors or off >= len(data):
            raise NotCompound("a sector lies past the end of the file")
        return data[off:off + size]

    difat = [s for s in struct.unpack_from("<109I", data, 0x4C) if s not in (_END, _FREE)]
    s, hops = difat_start, 0
    while s not in (_END, _FREE) and hops <= n_difat:
        entries = struct.unpack(f"<{size // 4}I", sector(s).ljust(size, b"\0"))
        difat.extend(e for e in entries[:-1] if e not in (_END, _FREE))
        s, hops = entries[-1], hops + 1
    fat: list[int] = []
    for s in difat[:n_sectors]:
        fat.extend(struct.unpack(f"<{size // 4}I", sector(s).ljust(size, b"\0")))

    def read(start: int, length: int, table: list[int], get) -> bytes:
        out = bytearray()
        for s in _chain(table, start):
            out += get(s)
            if len(out) >= length:
                break
        return bytes(out[:length])

    directory = read(dir_start, len(data), fat, sector)
    entries = [directory[i:i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        raise NotCompound("no directory")
    root = entries[0]
    root_start, root_size = struct.unpack_from("<II", root, 116)
    for e in entries:
        n = min(struct.unpack_from("<H", e, 64)[0], 64)
        name = e[:max(n - 2, 0)].decode("utf-16-le", "replace")
        if e[66] != 2 or name not in ("Workbook", "Book"):
            continue
        start, length = struct.unpack_from("<II", e, 116)
        length = min(length, len(data))
        if length >= cutoff:
            return read(start, length, fat, sector)
        ministream = read(root_start, min(root_size, len(data)), fat, sector)
        minifat_bytes = read(minifat_start, len(data), fat, sector)
        minifat = list(struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes[:len(minifat_bytes) // 4 * 4]))
        return read(start, length, minifat, lambda m: ministream[m * mini:(m + 1) * mini])
    raise NotCompound("no Workbook stream")


# BIFF5/8 cell records with (row, column) first: FORMULA, LABELSST, NUMBER, RK, BLANK, BOOLERR,
# LABEL, RSTRING; MULRK and MULBLANK give (row, first column) and end with their last column
_CELLS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6}
_MULTI = {0x00BD, 0x00BE}
_BOF, _EOF, _DIMENSIONS, _FILEPASS = 0x0809, 0x000A, 0x0200, 0x002F
_GLOBALS = 0x0005  # the BOF of the workbook globals substream


def xls_extents(stream: bytes) -> list[tuple[int, int]]:
    """(rows, columns) of each sheet substream (not the workbook globals): the larger of what its
    DIMENSIONS record claims and what its cell records span, both counted from row 0 and column 0
    (the reader's range may start there). A substream nested in another (a chart in a sheet) is
    measured on its own; its parent's count goes on after it."""
    out: list[tuple[int, int]] = []
    open_: list[list[int]] = []  # [substream type, rows, columns] of each open BOF
    pos, n = 0, len(stream)
    while pos + 4 <= n:
        kind, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + length]
        pos += 4 + length
        if kind == _FILEPASS:  # encrypted: the reader refuses the file before reading cells
            break
        if kind == _BOF:
            open_.append([struct.unpack_from("<H", body, 2)[0] if len(body) >= 4 else 0, 0, 0])
            continue
        if not open_:
            continue
        cur = open_[-1]
        if kind == _EOF:
            dt, rows, cols = open_.pop()
            if dt != _GLOBALS:
                out.append((rows, cols))
        elif kind == _DIMENSIONS and len(body) >= 10:
            if len(body) >= 14:  # BIFF8: rows as u32
                _r0, r1, _c0, c1 = struct.unpack_from("<IIHH", body)
            else:
                _r0, r1, _c0, c1 = struct.unpack_from("<HHHH", body)
            cur[1], cur[2] = max(cur[1], r1), max(cur[2], c1)
        elif kind in _CELLS and len(body) >= 4:
            r, c = struct.unpack_from("<HH", body)
            cur[1], cur[2] = max(cur[1], r + 1), max(cur[2], c + 1)
        elif kind in _MULTI and len(body) >= 6:
            r, _c = struct.unpack_from("<HH", body)
            last, = struct.unpack_from("<H", body, len(body) - 2)
            cur[1], cur[2] = max(cur[1], r + 1), max(cur[2], last + 1)
    out.extend((rows, cols) for dt, rows, cols in open_ if dt != _GLOBALS)  # a stream cut short
    return out
