""".xls workbooks (compound files of BIFF records) against the limits: a DIMENSIONS record or a
cell record that claims a huge sheet is refused before the reader allocates it (a 6 KB file made
it abort), and real workbooks pass with the extent the reader itself gives them. The compound
files of these tests are written here from the MS-CFB layout, independently of the reader in
dropship_core.suppliers.excel_xls; python-calamine is the reference for what a reader does.

Fixtures (tests/data/workbooks): `catalog.xls` (301 rows x 4 columns and a second sheet with one cell
at F3) and `two_cells.xls` (A1 and B2), written once with xlwt."""

import struct
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from dropship_core.suppliers.excel import ExcelCatalog
from dropship_core.suppliers.excel_limits import ExcelLimitError, check_workbook

DATA = Path(__file__).resolve().parent.parent / "data" / "workbooks"
END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def reader_shapes(path):
    wb = CalamineWorkbook.from_path(str(path))
    out = []
    for k in range(len(wb.sheet_names)):
        rows = wb.get_sheet_by_index(k).to_python(skip_empty_area=False)
        out.append((len(rows), max((len(r) for r in rows), default=0)))
    return out


def records(biff: bytes):
    """(offset, type, body) of every BIFF record."""
    pos = 0
    while pos + 4 <= len(biff):
        kind, length = struct.unpack_from("<HH", biff, pos)
        yield pos, kind, biff[pos + 4:pos + 4 + length]
        pos += 4 + length


def biff_of(path: Path) -> bytes:
    """The Workbook stream of an xlwt file, read by walking its FAT here (512-byte sectors), cut
    after its last EOF record."""
    data = path.read_bytes()
    dir_start, = struct.unpack_from("<I", data, 0x30)
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s != FREE]
    fat = []
    for s in fat_sectors:
        fat += struct.unpack_from("<128I", data, (s + 1) * 512)

    def chain(s):
        while s not in (END, FREE):
            yield data[(s + 1) * 512:(s + 2) * 512]
            s = fat[s]

    directory = b"".join(chain(dir_start))
    for i in range(0, len(directory), 128):
        e = directory[i:i + 128]
        if e[:16] == "Workbook".encode("utf-16-le"):
            start, size = struct.unpack_from("<II", e, 116)
            stream = b"".join(chain(start))[:size]
            last_eof = max(off for off, kind, _ in records(stream) if kind == 0x000A)
            return stream[:last_eof + 4]
    raise AssertionError("no Workbook stream")


def _entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    raw = (name + "\0").encode("utf-16-le")
    e = bytearray(128)
    e[:len(raw)] = raw
    struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
    struct.pack_into("<III", e, 68, NOSTREAM, NOSTREAM, child)
    struct.pack_into("<II", e, 116, start, size)
    return bytes(e)


def compound(biff: bytes, broken: bool = False) -> bytes:
    """A version-3 compound file holding `biff` as its Workbook stream: in the mini stream when
    it is under 4,096 bytes (sector 0 FAT, 1 directory, 2 mini FAT, 3.. the mini stream), else in
    regular sectors (3..)."""
    mini = len(biff) < 4096
    body = biff + b"\0" * (-len(biff) % (64 if mini else 512))
    n = len(body) // 512 + (1 if len(body) % 512 else 0)
    fat = [FATSECT, END, END] + [3 + k + 1 for k in range(n - 1)] + [END]
    if broken:
        fat[3] = 100_000  # the stream's first sector points past the table
    fat += [FREE] * (128 - len(fat))
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x2C, 1, 1, 0, 4096, 2, 1, END, 0, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([FREE] * 108))
    if mini:
        root = _entry("Root Entry", 5, 1, 3, len(body))
        book = _entry("Workbook", 2, NOSTREAM, 0, len(biff))
        minifat = [k + 1 for k in range(len(body) // 64 - 1)] + [END]
    else:
        root = _entry("Root Entry", 5, 1, END, 0)
        book = _entry("Workbook", 2, NOSTREAM, 3, len(biff))
        minifat = []
    minifat += [FREE] * (128 - len(minifat))
    directory = root + book + _entry("", 0, NOSTREAM, FREE, 0) * 2
    return (bytes(header) + struct.pack("<128I", *fat) + directory + struct.pack("<128I", *minifat)
            + body + b"\0" * (n * 512 - len(body)))


def patched(biff: bytes, kind: int, fix) -> bytes:
    """biff with the body of its first sheet record of `kind` rewritten by fix(body)."""
    out, sheets = bytearray(biff), 0
    for off, k, body in records(biff):
        sheets += k == 0x0809 and struct.unpack_from("<H", body, 2)[0] == 0x0010
        if k == kind and sheets:
            out[off + 4:off + 4 + len(body)] = fix(bytearray(body))
            return bytes(out)
    raise AssertionError(f"no record {kind:#x}")


def test_real_workbooks_pass_with_the_readers_own_extent(tmp_path):
    for name in ("catalog.xls", "two_cells.xls"):
        path = DATA / name
        shapes = reader_shapes(path)
        assert check_workbook(path) == max(r for r, _ in shapes)
    assert reader_shapes(DATA / "catalog.xls") == [(301, 4), (3, 6)]
    got = ExcelCatalog("xls", DATA / "catalog.xls").fetch()
    assert len(got.products) == 300 and not got.rejects


@pytest.mark.parametrize("where", ["mini stream", "regular sectors"])
def test_the_walk_reads_both_kinds_of_stream(tmp_path, monkeypatch, where):
    biff = biff_of(DATA / "two_cells.xls")
    assert len(biff) < 4096
    if where == "regular sectors":
        biff = biff + struct.pack("<HH", 0x0000, 4096 - len(biff) + 4) + b"\0" * (4096 - len(biff) + 4)
    path = tmp_path / "book.xls"
    path.write_bytes(compound(biff))
    assert reader_shapes(path) == [(2, 2)]
    assert check_workbook(path) == 2
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", "3")
    with pytest.raises(ExcelLimitError, match=r"sheet 1 spans 2 rows x 2 columns"):
        check_workbook(path)


def test_a_lying_dimensions_record_is_refused_before_reading(tmp_path):
    # DIMENSIONS (BIFF8): first row u32, last row + 1 u32, first column u16, last column + 1 u16
    biff = patched(biff_of(DATA / "two_cells.xls"), 0x0200,
                   lambda b: struct.pack("<IIHH", 0, 65536, 0, 16384) + b[12:])
    path = tmp_path / "dims.xls"
    path.write_bytes(compound(biff))
    assert path.stat().st_size < 10_000
    with pytest.raises(ExcelLimitError, match=r"spans 65,536 rows x 16,384 columns .* not read"):
        ExcelCatalog("xls", path).fetch()  # the reader is never reached: it would abort


def test_a_far_cell_is_refused_before_reading(tmp_path):
    # LABELSST: row u16, column u16, xf u16, string index u32 (the B2 cell moved to row 60,000, column 16,000)
    biff = patched(biff_of(DATA / "two_cells.xls"), 0x00FD,
                   lambda b: b if struct.unpack_from("<H", b)[0] == 0 else struct.pack("<HH", 60000, 16000) + b[4:])
    biff = patched(biff, 0x00FD, lambda b: struct.pack("<HH", 59999, 15999) + b[4:])
    path = tmp_path / "far.xls"
    path.write_bytes(compound(biff))
    with pytest.raises(ExcelLimitError, match=r"spans 60,000 rows x 16,000 columns"):
        check_workbook(path)


def test_a_nested_substream_does_not_hide_its_parents_cells(tmp_path):
    """A chart substream (BOF ... EOF) inside a sheet after a far cell: the sheet's count goes on."""
    biff = biff_of(DATA / "two_cells.xls")
    far = struct.pack("<HHHHHd", 0x0203, 14, 59999, 15999, 0, 1.0)  # NUMBER at row 60,000, column 16,000
    chart = struct.pack("<HHHH", 0x0809, 16, 0x0600, 0x0020) + b"\0" * 12 + struct.pack("<HH", 0x000A, 0)
    last_eof = max(off for off, kind, _ in records(biff) if kind == 0x000A)
    path = tmp_path / "nested.xls"
    path.write_bytes(compound(biff[:last_eof] + far + chart + biff[last_eof:]))
    with pytest.raises(ExcelLimitError, match=r"spans 60,000 rows x 16,000 columns"):
        check_workbook(path)


def test_a_compound_file_the_walk_cannot_follow_is_refused(tmp_path):
    path = tmp_path / "broken.xls"
    path.write_bytes(compound(biff_of(DATA / "two_cells.xls") + b"\0" * 5000, broken=True))
    with pytest.raises(ExcelLimitError, match=r"not a readable .xls compound file .* not read"):
        check_workbook(path)
