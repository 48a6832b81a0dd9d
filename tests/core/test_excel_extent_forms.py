"""The extent check against the readers themselves: worksheet XML written in every form the
readers accept (quotes, whitespace, lowercase, a namespace prefix, cells without references, a
cell whose row is not its row tag's, a sheet stored under another name, an OpenDocument table of
repeated rows and cells) is bounded by what the readers would allocate, never less; a file over
the limit is refused before it is read, one under it is not refused for its form."""

import random
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from dropship_core.suppliers import excel_extent
from dropship_core.suppliers.excel_limits import ExcelLimitError, check_workbook

CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      '<Override PartName="/{member}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>')
WB = ('<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
      '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
WB_RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
           '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
           'Target="{target}"/></Relationships>')
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def book(path, sheet_data, target="worksheets/sheet1.xml", prefix="", extra=()):
    """A minimal workbook the readers open, its one sheet's <sheetData> content as given."""
    member = "xl/" + target
    ns = f' xmlns:{prefix[:-1]}="{MAIN}"' if prefix else f' xmlns="{MAIN}"'
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><{prefix}worksheet{ns}><{prefix}sheetData>{sheet_data}'
           f'</{prefix}sheetData></{prefix}worksheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CT.format(member=member))
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("xl/workbook.xml", WB)
        zf.writestr("xl/_rels/workbook.xml.rels", WB_RELS.format(target=target))
        zf.writestr(member, xml)
        for name, data in extra:
            zf.writestr(name, data)
    return path


def reader_shape(path):
    """(rows, columns) python-calamine allocates for the first sheet (from A1: every test sheet
    has a cell there)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    return len(rows), max((len(r) for r in rows), default=0)


R, FAR = 300, "CV"  # 300 rows x 100 columns: far enough to tell, small enough to read
V = "<v>1</v>"
FORMS = {
    "usual": f'<row r="1"><c r="A1">{V}</c></row><row r="{R}"><c r="{FAR}{R}">{V}</c></row>',
    "single quotes": f"<row r='1'><c r='A1'>{V}</c></row><row r='{R}'><c r='{FAR}{R}'>{V}</c></row>",
    "tabs and newlines": f'<row\tr="1"><c\nr="A1">{V}</c></row><row\tr="{R}"><c\r\nr="{FAR}{R}">{V}</c></row>',
    "spaces around =": f'<row r = "1"><c r = "A1">{V}</c></row><row r = "{R}"><c r = "{FAR}{R}">{V}</c></row>',
    "lowercase columns": f'<row r="1"><c r="a1">{V}</c></row><row r="{R}"><c r="{FAR.lower()}{R}">{V}</c></row>',
    "a cell below its row tag": f'<row r="1"><c r="A1">{V}</c><c r="{FAR}{R}">{V}</c></row>',
    "a cell above its row tag": f'<row r="{R}"><c r="A1">{V}</c><c r="{FAR}{R}">{V}</c></row>',
    "cells without references": (f'<row r="1"><c r="A1">{V}</c></row><row r="{R}">' + f"<c>{V}</c>" * 100 + "</row>"),
    "rows and cells without references": ("<row>" + f"<c>{V}</c>" * 100 + "</row>") + "<row></row>" * (R - 1)
                                         + f"<row><c>{V}</c></row>",
    "a > inside an attribute": f'<row r="1"><c r="A1">{V}</c></row><row r="{R}"><c x=">" r="{FAR}{R}">{V}</c></row>',
    "the reference not first": f'<row r="1"><c r="A1">{V}</c></row><row s="1" r="{R}"><c t="n" r="{FAR}{R}">{V}</c></row>',
    "a leading zero": f'<row r="1"><c r="A1">{V}</c></row><row r="{R}"><c r="{FAR}0{R}">{V}</c></row>',
}


@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_is_bounded_as_the_reader_allocates(tmp_path, monkeypatch, form):
    path = book(tmp_path / "s.xlsx", FORMS[form])
    assert reader_shape(path) == (R + 1 if form == "rows and cells without references" else R, 100)
    rows, cols = reader_shape(path)
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", str(rows * cols))
    assert check_workbook(path) == rows  # at the limit: read, and the same extent as the reader's
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", str(rows * cols - 1))
    with pytest.raises(ExcelLimitError, match=rf"spans {rows:,} rows x {cols:,} columns .* not read"):
        check_workbook(path)


def test_a_namespace_prefix_and_a_sheet_under_another_name(tmp_path, monkeypatch):
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", "1000")
    usual = FORMS["usual"]
    prefixed = usual.replace("<row", "<x:row").replace("</row", "</x:row").replace("<c ", "<x:c ") \
        .replace("</c>", "</x:c>").replace("<v>", "<x:v>").replace("</v>", "</x:v>")
    for path in (book(tmp_path / "prefix.xlsx", prefixed, prefix="x:"),
                 book(tmp_path / "elsewhere.xlsx", usual, target="data/part.bin")):
        assert reader_shape(path) == (R, 100)
        with pytest.raises(ExcelLimitError, match=r"spans 300 rows x 100 columns"):
            check_workbook(path)


def _random_sheet(rng: random.Random) -> str:
    """Rows of cells written in a random mix of the forms above, A1 always present."""
    out = []
    for r in range(1, rng.randint(2, 40)):
        row_ref = rng.choice([f'r="{r}"', f"r='{r}'", f'r = "{r}"', "", f'spans="1:3" r="{r}"'])
        cells, col = [], 0
        for _ in range(rng.randint(0 if r > 1 else 1, 6)):
            col += rng.randint(1, 3) if r > 1 or cells else 1
            letters = "".join(chr(65 + d) for d in _digits26(col))
            row = r if rng.random() < 0.8 else rng.randint(1, 60)
            ref = rng.choice([f' r="{letters}{row}"', f" r='{letters.lower()}{row}'", "", f' t="n" r="{letters}{row}"',
                              f'\tr="{letters}{row}"'])
            if r == 1 and not cells:
                ref = ' r="A1"'  # the readers' shape starts at A1; so does the extent then
            cells.append(f"<c{ref}>{V}</c>")
        out.append(f"<row {row_ref}>{''.join(cells)}</row>")
    return "".join(out)


def _digits26(n):
    out = []
    while n:
        n, d = divmod(n - 1, 26)
        out.append(d)
    return reversed(out)


def test_random_mixes_of_forms_never_bound_below_the_reader(tmp_path, monkeypatch):
    rng = random.Random(7)
    exact = 0
    for i in range(150):
        path = book(tmp_path / f"r{i}.xlsx", _random_sheet(rng))
        rows, cols = reader_shape(path)
        monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", "100000000")
        got = check_workbook(path)
        assert got >= rows, (i, got, rows)
        monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", str(rows * cols - 1))
        with pytest.raises(ExcelLimitError):
            check_workbook(path)
        exact += got == rows
    assert exact >= 100  # an upper bound, and mostly the reader's own number


def test_parts_that_are_no_worksheet_are_not_refused_for_their_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", "1000")
    junk = bytes(random.Random(1).randrange(256) for _ in range(50_000)) + b':c <row r="99999999"'
    drawing = ('<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">'
               '<xdr:from><xdr:col>0</xdr:col><xdr:row>5</xdr:row></xdr:from></xdr:wsDr>')
    path = book(tmp_path / "parts.xlsx", f'<row r="1"><c r="A1">{V}</c></row>',
                extra=[("xl/media/image1.png", junk), ("xl/drawings/drawing1.xml", drawing)])
    assert check_workbook(path) == 1


def test_an_irregular_sheet_that_does_not_parse_or_declares_a_dtd_is_refused(tmp_path):
    broken = book(tmp_path / "broken.xlsx", "<row r='1'><c r='A1'><v>1</v></row>")
    with pytest.raises(ExcelLimitError, match=r"sheet1.xml is not well-formed XML .*; not read"):
        check_workbook(broken)
    dtd = tmp_path / "dtd.xlsx"
    book(dtd, "<row r='1'><c r='A1'>&e;</c></row>")
    with zipfile.ZipFile(dtd) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"?>", b'?><!DOCTYPE worksheet [<!ENTITY e "<v>1</v>">]>', 1)
    with zipfile.ZipFile(dtd, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(ExcelLimitError, match=r"declares a DTD; not read"):
        check_workbook(dtd)


# --- OpenDocument ----------------------------------------------------------------------------

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
CELL = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'


def ods(path, table_body):
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="S">{table_body}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
    return path


def test_repeated_rows_and_cells_of_an_ods_are_counted_as_the_reader_expands_them(tmp_path, monkeypatch):
    # under 1 KB of zip for 200 x 150 cells; the same with 1,000,000 x 16,384 would be 16 billion
    amp = ods(tmp_path / "amp.ods", '<table:table-row table:number-rows-repeated="200"><table:table-cell '
              'table:number-columns-repeated="150" office:value-type="string"><text:p>x</text:p></table:table-cell>'
              '</table:table-row>')
    assert amp.stat().st_size < 1500
    assert reader_shape(amp) == (200, 150)
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", str(200 * 150 - 1))
    with pytest.raises(ExcelLimitError, match=r"table 'S' spans 200 rows x 150 columns .* not read"):
        check_workbook(amp)
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", str(200 * 150))
    assert check_workbook(amp) == 200


def test_the_padding_libreoffice_writes_is_not_counted(tmp_path, monkeypatch):
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", "1000")
    # two rows of data, empty rows repeated between them, then the sheet padded to its full size
    padded = ods(tmp_path / "padded.ods",
                 f'<table:table-row>{CELL}{CELL}<table:table-cell table:number-columns-repeated="16382"/>'
                 '</table:table-row><table:table-row table:number-rows-repeated="3"><table:table-cell '
                 'table:number-columns-repeated="16384"/></table:table-row>'
                 f'<table:table-row>{CELL}<table:table-cell table:style-name="ce1" '
                 'table:number-columns-repeated="16383"/></table:table-row>'
                 '<table:table-row table:number-rows-repeated="1048571"><table:table-cell '
                 'table:number-columns-repeated="16384"/></table:table-row>')
    assert reader_shape(padded)[0] == 5
    assert check_workbook(padded) == 5


def test_the_roots_prefix_on_every_tag_keeps_the_fast_scan_and_others_still_count(tmp_path, monkeypatch):
    """.NET's Open XML SDK writes `<x:worksheet xmlns:x=...><x:sheetData><x:row r="1">`: the fast
    scan drops the root's prefix; a tag under another prefix, or in another form, still goes to
    the general scan, so neither hides a far cell."""
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", "1000")
    near = f'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row><x:row r="2"><x:c r="D2"><x:v>1</x:v></x:c></x:row>'
    ok = book(tmp_path / "x.xlsx", near, prefix="x:")
    assert reader_shape(ok) == (2, 4) and check_workbook(ok) == 2
    calls = []
    real = excel_extent.scan_xml
    monkeypatch.setattr(excel_extent, "scan_xml", lambda chunks: calls.append(1) or real(chunks))
    check_workbook(ok)
    assert calls == []  # the fast scan took it
    for far in (f'<y:row r="{R}" xmlns:y="{MAIN}"><y:c r="{FAR}{R}"><y:v>1</y:v></y:c></y:row>',
                f"<x:row r='{R}'><x:c r='{FAR}{R}'><x:v>1</x:v></x:c></x:row>"):
        path = book(tmp_path / "far.xlsx", near + far, prefix="x:")
        assert reader_shape(path) == (R, 100)
        with pytest.raises(ExcelLimitError, match=r"spans 300 rows x 100 columns"):
            check_workbook(path)


def test_workbooks_libreoffice_writes_pass_with_the_readers_extent(monkeypatch):
    """tests/data/workbooks/catalog_libreoffice.{ods,xlsx}: catalog.xls saved by LibreOffice Calc
    (headless). Its .ods pads each table to 1,048,576 rows (`number-rows-repeated="1048274"`)
    and repeats empty cells: none of that counts, the extent is the reader's own."""
    from pathlib import Path

    data = Path(__file__).resolve().parent.parent / "data" / "workbooks"
    for name in ("catalog_libreoffice.ods", "catalog_libreoffice.xlsx"):
        path = data / name
        wb = CalamineWorkbook.from_path(str(path))
        shapes = []
        for k in range(len(wb.sheet_names)):
            rows = wb.get_sheet_by_index(k).to_python(skip_empty_area=False)
            shapes.append((len(rows), max(len(r) for r in rows)))
        assert shapes == [(301, 4), (3, 6)]
        monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", str(301 * 4))
        assert check_workbook(path) == 301
        monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", str(301 * 4 - 1))
        with pytest.raises(ExcelLimitError, match=r"spans 301 rows x 4 columns"):
            check_workbook(path)
