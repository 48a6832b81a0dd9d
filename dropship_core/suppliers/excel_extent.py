"""How many rows and columns a worksheet's cells span, read off its XML before any reader
allocates them (excel_limits checks the result against the limits).

The readers (calamine, under both fastexcel and python-calamine) place a cell at its own reference
(`r="XFD1048576"`), or, without one, right of the previous cell in the current row; they then
allocate the rectangle that holds every cell. So the rectangle is what must be bounded, and it
must be bounded however the XML is written: references in single quotes, other whitespace,
lowercase letters, a namespace prefix, cells without references, a cell whose row differs from
its row tag's.

- `scan_usual`: the fast scan, for XML written the usual way (every `<row r="N"` and
  `<c r="A1"` with the reference first, uppercase, in double quotes; with no prefix, or with the
  root's prefix on every tag, which is dropped first). Per chunk: one
  search for row tags, one for a prefixed row or cell tag, one for a cell that is not usual or
  whose row lies outside the rows seen so far. Anything else raises `Irregular`.
- `scan_xml`: the general scan with an XML parser (expat), for the rest: every `c` start tag is
  taken for a cell; a cell without a usable reference is placed at upper bounds of the reader's
  own row and column counters (so the rectangle is never smaller than the reader's).
- `scan_ods`: the same for an OpenDocument sheet, where `number-rows-repeated` and
  `number-columns-repeated` multiply a few bytes into millions of cells; runs of empty rows or
  cells at the end of a table (LibreOffice pads every sheet so) do not count.
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Iterable
from xml.parsers import expat


class Irregular(Exception):
    """The XML is not written the usual way: the fast scan cannot bound it."""


class NotWellFormed(ValueError):
    """The general scan could not parse the XML (or it declares a DTD)."""


# --- the fast scan ---------------------------------------------------------------------------

# every row tag: its reference when that is its first attribute, in the usual form (else b"")
_ROW_TAG = re.compile(rb'<row(?: r="([1-9]\d*)"|(?=[\s/>]))')
# a row or cell tag with a namespace prefix (`<x:row`, `<x:c`)
_PREFIXED = re.compile(rb':(?:row|c)[\s/>]')
# a cell tag not in the usual form: reference first, 1-3 uppercase letters, a row without leading 0
_ODD_CELL = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]{1,3}[1-9]\d*")')
_CELL_ROWS = re.compile(rb'<c r="[A-Z]{1,3}(\d+)"')
_WIDE = re.compile(rb'<c r="([A-Z]{2,3})\d')
_BEYOND = {n: re.compile(b'<c r="[' + bytes([65 + n]) + b'-Z]\\d') for n in range(1, 26)}
# a cell of two or three letters, or of one letter right of the n-th
_NONE_BEYOND = {n: re.compile(b'<c r="(?:[A-Z]{2}|[' + bytes([65 + n]) + b'-Z]\\d)') for n in range(1, 26)}
# the root tag under a namespace prefix (`<x:worksheet`, as .NET's Open XML SDK writes sheets)
_ROOT_PREFIX = re.compile(rb'<([^\s<>/:="\']+):worksheet[\s>]')
_SHEET_DATA = (b"sheetData", "sheetData".encode("utf-16-le"), "sheetData".encode("utf-16-be"))


def _greater(n: int) -> list[str]:
    """Alternatives matching the decimal numbers (no leading zero) greater than n."""
    s, alts = str(n), [r"[1-9]\d{%d,}" % len(str(n))]
    for i, d in enumerate(s):
        if d != "9":
            rest = len(s) - 1 - i
            alts.append(s[:i] + f"[{int(d) + 1}-9]" + (r"\d{%d}" % rest if rest else ""))
    return alts


def _less(n: int) -> list[str]:
    """Alternatives matching the decimal numbers (no leading zero, at least 1) less than n."""
    s, alts = str(n), []
    if len(s) >= 2:
        alts.append(r"[1-9]\d{0,%d}" % (len(s) - 2))
    for i, d in enumerate(s):
        low = 1 if i == 0 else 0
        if int(d) - 1 >= low:
            rest = len(s) - 1 - i
            alts.append(s[:i] + f"[{low}-{int(d) - 1}]" + (r"\d{%d}" % rest if rest else ""))
    return alts


def _outside(lo: int | None, hi: int | None) -> str:
    """A pattern for the row numbers outside lo..hi (all of them before any row is known)."""
    if lo is None or hi is None:
        return r"[1-9]\d*"
    return "(?:" + "|".join(_less(lo) + _greater(hi)) + ")"


@functools.lru_cache(maxsize=256)
def _unusual(cols: int, lo: int | None, hi: int | None) -> re.Pattern[bytes]:
    """A cell tag that is not the usual one of a single letter up to the `cols`-th with a row in
    lo..hi: the one search most chunks need."""
    letter = "A-" + chr(64 + min(cols, 26))
    return re.compile((r'<c(?:(?=[\s/>])(?! r="[%s][1-9]\d*")| r="[%s]%s")'
                       % (letter, letter, _outside(lo, hi))).encode())


@functools.lru_cache(maxsize=256)
def _rows_outside(lo: int | None, hi: int | None) -> re.Pattern[bytes]:
    return re.compile((r'<c r="[A-Z]{1,3}%s"' % _outside(lo, hi)).encode())


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _usual_columns(buf: bytes, hi_col: int) -> int:
    """The rightmost column of buf's cells (all in the usual form), at least hi_col."""
    if hi_col < 26 and _NONE_BEYOND[hi_col].search(buf) is None:
        return hi_col
    if wide := _WIDE.findall(buf):
        return max(hi_col, max(_col_number(c) for c in set(wide)))
    while hi_col < 26 and (m := _BEYOND[hi_col].search(buf)) is not None:
        hi_col = m.group()[6] - 64
    return hi_col


def _widen(lo: int | None, hi: int | None, refs: list[bytes]) -> tuple[int, int]:
    rows = [int(r) for r in refs]
    return (min(rows) if lo is None else min(lo, min(rows))), (max(rows) if hi is None else max(hi, max(rows)))


def scan_usual(chunks: Iterable[bytes]) -> tuple[int, int]:
    """(rows, columns) spanned by the row tags and cells of a worksheet's XML written the usual
    way, given in chunks; raises Irregular for anything else. A part without `sheetData` is no
    worksheet to the readers: (0, 0)."""
    lo = hi = None
    hi_col, tail, first, sheet, prefix = 1, b"", True, False, None
    for chunk in itertools.chain(chunks, (b"",)):
        if first and chunk:
            first = False
            if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in chunk[:4]:
                raise Irregular  # UTF-16: no pattern here would see its tags
            if m := _ROOT_PREFIX.search(chunk, 0, 4096):
                prefix = m.group(1)
        buf = tail + chunk
        if prefix is not None:  # the readers go by local names: `<x:row` is a row, read as `<row`
            buf = buf.replace(b"<" + prefix + b":", b"<").replace(b"</" + prefix + b":", b"</")
        sheet = sheet or any(s in buf for s in _SHEET_DATA)
        cut = buf.rfind(b"<") if chunk else len(buf)
        if cut < 0:  # no tag starts in the chunk: all but its last byte is scanned
            cut = max(len(buf) - 1, 0)
        tail = buf[cut:]
        if refs := _ROW_TAG.findall(buf, 0, cut):
            if b"" in refs:
                raise Irregular
            lo, hi = _widen(lo, hi, refs)
        if _PREFIXED.search(buf, 0, cut) is not None:
            raise Irregular
        if _unusual(hi_col, lo, hi).search(buf, 0, cut) is not None:
            if _ODD_CELL.search(buf, 0, cut) is not None:
                raise Irregular
            hi_col = _usual_columns(buf[:cut], hi_col)
            if _rows_outside(lo, hi).search(buf, 0, cut) is not None:
                lo, hi = _widen(lo, hi, _CELL_ROWS.findall(buf, 0, cut))
    if lo is None or hi is None or not sheet:
        return 0, 0
    return hi - lo + 1, hi_col


# --- the general scan ------------------------------------------------------------------------

_REF = re.compile(r"([A-Za-z]*)(\d+)")
_FAR = 1 << 32


def _parser(start, end) -> expat.XMLParserType:
    p = expat.ParserCreate()
    p.StartElementHandler = start
    p.EndElementHandler = end

    def doctype(*_):
        raise NotWellFormed("declares a DTD")

    p.StartDoctypeDeclHandler = doctype
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return p


def _feed(p: expat.XMLParserType, chunks: Iterable[bytes]) -> None:
    try:
        for chunk in chunks:
            p.Parse(chunk, False)
        p.Parse(b"", True)
    except expat.ExpatError as e:
        raise NotWellFormed(f"not well-formed XML ({expat.ErrorString(e.code)}, line {e.lineno})") from None


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def scan_xml(chunks: Iterable[bytes]) -> tuple[int, int]:
    """(rows, columns) of a rectangle holding every cell a reader could place, by an XML parser.

    Every `c` start tag counts as a cell (the readers take fewer: not those nested in a cell's
    value). A cell whose reference parses is placed there; any other at (U, C), where U and C
    bound the reader's own row and column counters from above: U rises to each row tag's
    reference and by one at every row end; C rises to each referenced cell's column, by one at
    every cell, and restarts only at a row end outside every cell (where the reader restarts it).
    """
    st = {"lo": None, "hi": 0, "col": 0, "u": 1, "c": 1, "in_cell": 0, "sheet": False}

    def start(name, attrs):
        local = _local(name)
        if local == "c":
            m = _REF.fullmatch(attrs.get("r", ""))
            if m and m.group(1):  # row 0 is taken as far down (a reader may wrap it round)
                row, col = int(m.group(2)) or _FAR, _col_number(m.group(1).encode())
            else:
                row, col = st["u"], st["c"]
            st["lo"] = row if st["lo"] is None else min(st["lo"], row)
            st["hi"], st["col"] = max(st["hi"], row), max(st["col"], col)
            st["c"] = max(st["c"], col) + 1
            st["in_cell"] += 1
        elif local == "row":
            r = re.fullmatch(r"[A-Za-z]*(\d+)", attrs.get("r", ""))
            if r:
                st["u"] = max(st["u"], int(r.group(1)) or _FAR)
        elif local == "sheetData":
            st["sheet"] = True

    def end(name):
        local = _local(name)
        if local == "c":
            st["in_cell"] -= 1
        elif local == "row":
            st["u"] += 1
            if st["in_cell"] == 0:
                st["c"] = 1

    _feed(_parser(start, end), chunks)
    if st["lo"] is None or not st["sheet"]:
        return 0, 0
    return st["hi"] - st["lo"] + 1, st["col"]


def contains_sheet_data(chunks: Iterable[bytes]) -> bool:
    """Whether the part names `sheetData` at all (in UTF-8 or UTF-16): without it no reader takes
    it for a worksheet."""
    tail = b""
    for chunk in chunks:
        buf = tail + chunk
        if any(s in buf for s in _SHEET_DATA):
            return True
        tail = buf[-24:]
    return False


# --- OpenDocument ----------------------------------------------------------------------------

def _repeat(attrs: dict, key: str) -> int:
    for k, v in attrs.items():
        if _local(k) == key:
            try:
                return max(int(v), 1)
            except ValueError:
                return 1
    return 1


_EMPTY_CELL_ATTRS = {"style-name", "number-columns-repeated", "number-columns-spanned",
                     "number-rows-spanned", "content-validation-name"}


def scan_ods(chunks: Iterable[bytes]) -> list[tuple[str, int, int]]:
    """(table name, rows, columns) of each table of an OpenDocument `content.xml`: repeated rows
    and cells count as often as repeated, up to the last row and cell that hold anything (a cell
    with any attribute beyond its style and repeats, or any element inside). Rows of a table
    nested in a cell count as further rows of the sheet."""
    tables: list[tuple[str, int, int]] = []
    st = {"name": "", "depth": 0, "row": 0, "last_row": 0, "cols": 0}
    rows: list[list[int]] = []  # open rows: [repeat, next column, last column with content]
    cells: list[int] = []  # open cells: the column their run ends at

    def start(name, attrs):
        local = _local(name)
        if cells and rows:  # an element inside a cell: the cell holds something
            rows[-1][2] = max(rows[-1][2], cells[-1])
        if local == "table":
            if st["depth"] == 0:
                st.update(name=next((v for k, v in attrs.items() if _local(k) == "name"), ""),
                          row=0, last_row=0, cols=0)
            st["depth"] += 1
        elif local == "table-row":
            rows.append([_repeat(attrs, "number-rows-repeated"), 0, 0])
        elif local in ("table-cell", "covered-table-cell") and rows:
            row = rows[-1]
            row[1] += _repeat(attrs, "number-columns-repeated")
            if any(_local(k) not in _EMPTY_CELL_ATTRS for k in attrs):
                row[2] = row[1]
            cells.append(row[1])
            return
        if cells:
            cells.append(cells[-1])  # keeps the depth: popped at this element's end

    def end(name):
        local = _local(name)
        if cells:
            cells.pop()
        if local == "table-row" and rows:
            rep, _, last = rows.pop()
            st["row"] += rep
            if last:
                st["last_row"] = st["row"]
                st["cols"] = max(st["cols"], last)
        elif local == "table" and st["depth"]:
            st["depth"] -= 1
            if st["depth"] == 0:
                tables.append((st["name"], st["last_row"], st["cols"]))

    _feed(_parser(start, end), chunks)
    return tables
