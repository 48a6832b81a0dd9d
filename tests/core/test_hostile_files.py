"""Hostile supplier files: refused before allocation or kept row by row, never a traceback, an
abort, or an unbounded quarantine."""

import os
import resource
import shutil
import time
import zipfile

import pytest
from openpyxl import Workbook

from dropship_core.store import RunInfo
from dropship_core.suppliers.excel import ExcelCatalog, ExcelReadError, parse_number, BadValue
from dropship_core.suppliers.excel_limits import ExcelLimitError
from dropship_core.suppliers.inbox import list_dropped

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = ["상품코드", "상품명", "공급가", "재고"]


def _patch_sheet(path, old: bytes, new: bytes):
    """Rewrite text inside the workbook's sheet XML (openpyxl refuses to write such values)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(old, new)
            dst.writestr(info, data)
    tmp.replace(path)


def test_one_far_cell_is_refused_before_reading(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["A1", "상품", 1000, 1])
    ws["XFD1048576"] = "x"
    p = tmp_path / "far.xlsx"
    wb.save(p)
    assert p.stat().st_size < 10_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    with pytest.raises(ExcelLimitError, match=r"spans 1,048,576 rows x 16,384 columns .* not read"):
        ExcelCatalog("x", p).fetch()
    assert time.perf_counter() - t < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB


def test_zip_bomb_is_refused_from_the_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_UNZIPPED_MB", "20")
    wb = Workbook()
    wb.active.append(HEADER)
    p = tmp_path / "bomb.xlsx"
    wb.save(p)
    with zipfile.ZipFile(p, "a", zipfile.ZIP_DEFLATED) as zf, zf.open("xl/media/pad.bin", "w") as f:
        for _ in range(25):
            f.write(b"\0" * (1 << 20))
    assert p.stat().st_size < 200_000
    with pytest.raises(ExcelLimitError, match="unpacks to 25 MB, over the limit of 20 MB"):
        ExcelCatalog("x", p).fetch()


def test_rows_per_file_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_ROWS", "50")
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(60):
        ws.append([f"R{i}", "상품", 1000, 1])
    wb.save(tmp_path / "many.xlsx")
    with pytest.raises(ExcelLimitError, match="60 rows, over the limit of 50 rows per file"):
        ExcelCatalog("x", tmp_path / "many.xlsx").fetch()
    csv = tmp_path / "many.csv"
    csv.write_text("\n".join([",".join(HEADER)] + [f"R{i},상품,1000,1" for i in range(60)]), encoding="utf-8")
    with pytest.raises(ExcelLimitError, match="over the limit of 50 rows per file"):
        ExcelCatalog("x", csv).fetch()
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_ROWS", "60")
    assert len(ExcelCatalog("x", tmp_path / "many.xlsx").fetch().products) == 60


@pytest.mark.parametrize("text", ["inf", "1e400", "-inf", "nan", "1e300"])
def test_non_finite_and_huge_numbers_are_row_rejects(text):
    with pytest.raises(BadValue, match="공급가"):
        parse_number(text, "공급가")
    with pytest.raises(BadValue, match="공급가"):
        parse_number(float(text), "공급가")


def test_hostile_cells_reject_their_row_and_keep_the_rest(tmp_path, store):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER + ["비고"])
    ws.append(["G1", "정상", 1000, 1, ""])
    ws.append(["N1", "NULHERE 이름", 1000, 1, ""])
    ws.append(["N2", "정상 이름", 1000, 1, "NULHERE"])  # also in a column the reader does not map
    ws.append(["F1", "무한", "1e400", 1, ""])
    ws.append(["F2", "큰 수", 99999, 1, ""])
    ws.append(["G2", "정상", 2000, 2, ""])
    p = tmp_path / "hostile.xlsx"
    wb.save(p)
    _patch_sheet(p, b"NULHERE", b"_x0000_")
    _patch_sheet(p, b"<v>99999</v>", b"<v>1e400</v>")
    cat = ExcelCatalog("hostile", p)
    res = cat.fetch_prepared()
    assert [row[0] for row in res.products] == ["G1", "G2"]
    reasons = {r.source.split("row ")[1]: r.reason for r in res.rejects}
    assert reasons["3"].startswith("control character U+0000")
    assert reasons["4"].startswith("control character U+0000")
    assert reasons["5"] == "공급가: '1e400' is not a number"
    assert "공급가" in reasons["6"]
    # the row reader agrees, and everything lands: the products and the rejects (NUL shown as U+FFFD)
    ref = cat.fetch_rows()
    assert [(r.reason, r.source) for r in ref.rejects] == [(r.reason, r.source) for r in res.rejects]
    run = RunInfo("h1")
    assert store.ingest_prepared("hostile", res.products, run).new == 2
    assert store.quarantine("hostile", res.rejects, run) == 4
    assert len(store.quarantined("hostile")) == 4


def test_quarantine_is_bounded_per_file_with_a_summary(tmp_path, store):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(HEADER)
    for i in range(3000):
        ws.append([f"B{i}", "상품", "문의" if i % 3 else 1000, 1])
    wb.save(tmp_path / "bad.xlsx")
    res = ExcelCatalog("bad", tmp_path / "bad.xlsx").fetch_prepared()
    assert len(res.products) == 1000 and len(res.rejects) == 2000
    assert store.quarantine("bad", res.rejects, RunInfo("b1"), max_rows=100) == 2000
    rows = store.quarantined("bad", limit=10_000)
    assert len(rows) == 101
    summary = rows[-1]
    assert summary["reason"] == "1900 more rejected records not stored (limit 100 per file)"
    assert summary["raw"]["not_stored"] == 1900 and summary["raw"]["by_reason"] == {"공급가": 1900}


def test_drop_folder_ignores_symlinks_and_files_outside(tmp_path, demo_dir):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outside = tmp_path / "secret.csv"
    outside.write_text("상품코드,상품명,공급가\nS1,비밀,1\n", encoding="utf-8")
    shutil.copy(demo_dir / "daon.xlsx", inbox / "daon.xlsx")
    (inbox / "link.csv").symlink_to(outside)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "nested.csv").write_text("x", encoding="utf-8")
    old = time.time() - 60
    for p in (inbox / "daon.xlsx", outside):
        os.utime(p, (old, old))
    assert [f.path.name for f in list_dropped(inbox)] == ["daon.xlsx"]


def test_unreadable_file_still_a_clear_error(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ExcelReadError, match="not a readable workbook"):
        ExcelCatalog("x", p).fetch()


def test_a_csv_of_commas_is_refused_by_its_cells_and_a_huge_one_by_its_size(tmp_path, monkeypatch):
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_CELLS", "100000")
    p = tmp_path / "commas.csv"
    p.write_text("상품코드,상품명,공급가,재고\n" + "," * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ExcelLimitError, match=r"more than 100,000 cells by row 2, over the limit .* not read"):
        ExcelCatalog("x", p).fetch()
    monkeypatch.setenv("DROPSHIP_EXCEL_MAX_UNZIPPED_MB", "1")
    big = tmp_path / "big.csv"
    big.write_text("상품코드,상품명,공급가,재고\n" + "A1,상품,1000,1\n" * 120_000, encoding="utf-8")
    with pytest.raises(ExcelLimitError, match=r"big.csv: 2 MB, over the limit of 1 MB .* not read"):
        ExcelCatalog("x", big).fetch()
