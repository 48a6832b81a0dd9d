"""The pre-parse extent scan of worksheet XML (excel_limits): the same (rows, columns) whatever the
attribute order, the column width, the compression or where the chunks are cut, and a member that
does not read as its zip directory says is read through zipfile (its errors as before)."""

import zipfile

import pytest

from dropship_core.suppliers import excel_limits
from dropship_core.suppliers.excel_limits import _sheet_extent


def cells(r, cols):
    return "".join(f'<c r="{c}{r}" t="inlineStr"><is><t>값 {c}{r}</t></is></c>' for c in cols)


REGULAR = [f'<row r="{r}" spans="1:4">{cells(r, "ABCD")}</row>' for r in range(1, 41)]

SHEETS = {
    "regular": (REGULAR, (40, 4)),
    # a cell whose reference is not its first attribute: the general scan
    "cell attributes in another order": (
        REGULAR[:20] + ['<row r="21"><c t="s" r="C21"><v>0</v></c><c s="2" r="B21"/></row>'] + REGULAR[21:],
        (40, 4)),
    "row attributes in another order": (REGULAR + ['<row spans="1:1" ht="15" r="97"><c r="A97"><v>1</v></c></row>'],
                                        (97, 4)),
    "wide columns": (REGULAR + ['<row r="41"><c r="AA41"><v>1</v></c><c r="ZZ41"/></row>'], (41, 702)),
    "wide and another order": (REGULAR + ['<row r="41"><c s="1" r="AB41"><v>1</v></c></row>'], (41, 28)),
    "a lone far cell": (REGULAR[:2] + ['<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'],
                        (1048576, 16384)),
    "one letter further right, far down": (
        REGULAR + [f'<row r="{r}">{cells(r, "AB")}</row>' for r in range(41, 400)]
        + ['<row r="400"><c r="Q400"><v>1</v></c></row>'], (400, 17)),
    "rows out of order": (['<row r="10"><c r="A10"/></row>', f'<row r="3">{cells(3, "AB")}</row>',
                           '<row r="7"><c r="A7"/></row>'], (8, 2)),
    "a row without a reference": (['<row><c r="A1"/></row>'] + REGULAR[4:10], (10, 4)),
    "no rows": ([], (0, 0)),
}


def sheet_xml(rows):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<dimension ref="A1"/><sheetData>' + "".join(rows) + "</sheetData></worksheet>").encode()


def workbook(path, xml, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>", zipfile.ZIP_DEFLATED)
        zf.writestr("xl/worksheets/sheet1.xml", xml, method)
    return path


def extent(path):
    with zipfile.ZipFile(path) as zf:
        return _sheet_extent(zf, zf.getinfo("xl/worksheets/sheet1.xml"))


@pytest.mark.parametrize("chunk", [8 << 20, 4096, 61])
@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2])
@pytest.mark.parametrize("name", list(SHEETS))
def test_the_extent_of_odd_sheets(tmp_path, monkeypatch, name, method, chunk):
    monkeypatch.setattr(excel_limits, "_CHUNK", chunk)  # chunks cut inside tags and references
    rows, expected = SHEETS[name]
    assert extent(workbook(tmp_path / "s.xlsx", sheet_xml(rows), method)) == expected


def _patch_directory(path, name, offset, value: bytes):
    """Overwrite a field of a member's central directory entry."""
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")
    while data[at + 46:at + 46 + len(name)] != name.encode():
        at = data.index(b"PK\x01\x02", at + 4)
    data[at + offset:at + offset + len(value)] = value
    path.write_bytes(bytes(data))


def test_a_member_that_does_not_read_as_its_directory_says(tmp_path):
    xml = sheet_xml(REGULAR)
    # a wrong CRC: zipfile refuses the member, as it did before the scan read members itself
    p = workbook(tmp_path / "crc.xlsx", xml)
    with zipfile.ZipFile(p) as zf:
        crc = zf.getinfo("xl/worksheets/sheet1.xml").CRC
    _patch_directory(p, "xl/worksheets/sheet1.xml", 16, (crc ^ 1).to_bytes(4, "little"))
    with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
        extent(p)
    # a directory that says the member is smaller than it inflates to: read as zipfile reads it
    q = workbook(tmp_path / "size.xlsx", xml)
    _patch_directory(q, "xl/worksheets/sheet1.xml", 24, (len(xml) // 2).to_bytes(4, "little"))
    with pytest.raises(zipfile.BadZipFile):
        extent(q)
    # and a member right as it says, for comparison
    assert extent(workbook(tmp_path / "ok.xlsx", xml)) == (40, 4)
