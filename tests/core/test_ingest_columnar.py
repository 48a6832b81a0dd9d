"""The column-wise Excel reader against the row reader (the reference), and one transaction per
import: a killed import leaves nothing half-visible."""

import os
import signal
import subprocess
import sys
import time

import pytest
from openpyxl import Workbook

from dropship_core.model import canonical_bytes
from dropship_core.store import RunInfo
from dropship_core.suppliers.excel import ExcelCatalog

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def outcome(result):
    products = [canonical_bytes(p if isinstance(p, dict) else p.to_dict()) for p in result.products]
    rejects = [(r.reason, r.source, canonical_bytes(r.raw)) for r in result.rejects]
    stats = {k: v for k, v in result.stats.items() if k != "rows_columnar"}
    return products, rejects, stats


def assert_same(path, key="k"):
    cat = ExcelCatalog(key, path, default_shipping_fee=2500)
    ref = outcome(cat.fetch_rows())
    assert outcome(cat.fetch_dicts()) == ref
    assert outcome(cat.fetch()) == ref
    prepared = cat.fetch_prepared()
    assert [row[1] for row in prepared.products] == ref[0]
    return prepared


@pytest.mark.parametrize("name", ["acme.xlsx", "daon.xlsx", "hanbit.xlsx"])
def test_demo_workbooks_read_the_same_as_the_row_reader(demo_dir, name):
    prepared = assert_same(demo_dir / name)
    # product rows are normalised column-wise (option continuation rows are merged in Python)
    assert prepared.stats["rows_columnar"] >= 0.5 * prepared.stats["rows"]


MESSY = [
    ["상품코드", "상품명", "공급가", "재고", "옵션명", "옵션값", "옵션가", "옵션재고", "배송비", "과세여부", "성인여부",
     "판매상태", "대표이미지", "추가이미지", "검색어", "비고"],
    ["A1", "  텀블러 \"500\" \\ml ", "12,000원", 3, "", "", "", "", None, "면세", "Y", "", "u1", "u2, u3;u4", "a|b", 7],
    ["A2", "같은 재고 0", 9000.0, 0, "", "", "", "", 0, "비과세", "n", "", None, None, None, None],
    ["A2", "중복", 9000, 1, "", "", "", "", "", "", "", "", "", "", "", ""],
    ["A3", "옵션 목록", "1.2만", 10, "색상", "블랙,화이트", "0,500", "", "", "FREE", "", "일시품절", "", "", "", ""],
    ["A3", None, None, 4, "색상", "네이비", "1,000원", None, "", "", "", "", "", "", "", ""],
    [None, None, None, None, "색상", "레드", "0", 2, "", "", "", "", "", "", "", ""],
    ["A3", None, None, 1, "색상", "네이비", "0", "", "", "", "", "", "", "", "", ""],
    ["A3", None, None, 1, "색상", "그린", "-500", "", "", "", "", "", "", "", "", ""],
    ["A4", "조합 옵션", "3.5천원", "", "색상/사이즈", "블랙/M,블랙/L", "0", "1,2", "", "", "", "", "", "", "", ""],
    ["A5", "숫자 아님", "문의", 1, "", "", "", "", "", "", "", "", "", "", "", ""],
    ["A6", "음수 재고", 1000, -3, "", "", "", "", "", "", "", "", "", "", "", ""],
    ["A7", "옵션가 불일치", 1000, 1, "색상", "a,b", "1,2,3", "", "", "", "", "", "", "", "", ""],
    [12345.0, "숫자 코드", 1000.5, 2.5, "", "", "", "", 2500.4, "", "", "", "", "", "", ""],
    ["A/8,x", "슬래시 코드", "₩ 9,900", "  15 ", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["A9", "\u3000전각 공백\xa0", 1000, 1, "", "", "", "", "", "", "", "", "", "", "", ""],
    ["A10", "탭\t줄바꿈\n", 1000, None, "", "", "", "", "", "", "", "", "", "", "", ""],
    ["A11", "공급가 0", 0, 1, "", "", "", "", "", "", "", "", "", "", "", ""],
    ["A12", "불리언", True, 1, "", "", "", "", "", "", "", "", "", "", "", ""],
    [None, "코드 없음", 1000, 1, "", "", "", "", "", "", "", "", "", "", "", ""],
    [],
    ["A13", "빈 줄 뒤", "-", "-", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["A14", "큰 수", 1e16, 1, "", "", "", "", "", "", "", "", "", "", "", ""],
    ["A15", "만 원", "3만원", "+5", "", "", "", "", "", "", "", "", "", "", "", ""],
]


@pytest.mark.parametrize("chunk", [100_000, 3])
def test_messy_rows_read_the_same_as_the_row_reader(tmp_path, monkeypatch, chunk):
    import dropship_core.suppliers.excel_fetch as fetch_mod

    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", chunk)
    wb = Workbook()
    ws = wb.active
    ws.title = "목록"
    ws.append(["거래처 단가표"])
    for r in MESSY:
        ws.append(r)
    ws2 = wb.create_sheet("추가")
    ws2.append(["상품코드", "상품명", "공급가"])
    ws2.append(["A1", "다른 시트 중복", 1000])
    ws2.append(["B1", "다른 시트", "2,000"])
    wb.save(tmp_path / "messy.xlsx")
    prepared = assert_same(tmp_path / "messy.xlsx")
    assert prepared.stats["rows_columnar"] > 5
    # the same content as CSV (every cell text)
    csv = tmp_path / "messy.csv"
    csv.write_text("\n".join(",".join(f'"{c}"' if c is not None else "" for c in r[:4]) for r in MESSY[:3]))
    assert_same(csv)


@pytest.mark.parametrize("chunk", [100_000, 7])
def test_option_rows_and_lists_at_volume(tmp_path, monkeypatch, chunk):
    import dropship_core.suppliers.excel_fetch as fetch_mod

    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", chunk)  # chunk boundaries inside option groups
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(["상품코드", "상품명", "공급가", "재고", "옵션명", "옵션값", "옵션가"])
    for i in range(300):
        if i % 3 == 0:
            ws.append([f"P{i}", f"상품 {i}", f"{1000 + i:,}원", i % 7, "색상", "블랙,화이트", "0,100"])
        else:
            for j, color in enumerate(("블랙", "화이트", "그레이")):
                ws.append([f"P{i}", f"상품 {i}" if j == 0 else None, 1000 + i, j, "색상", color, j * 100])
    wb.save(tmp_path / "opts.xlsx")
    assert_same(tmp_path / "opts.xlsx")


GROUPS = [
    ["상품코드", "상품명", "공급가", "재고", "옵션명", "옵션값", "옵션가", "옵션재고", "판매상태", "비고"],
    ["G1", "그룹", "1,000원", 5, "색상", "블랙", 0, "", "", "메모"],
    ["G1", "그룹", "1,000원", 7, "색상", "화이트", 500, 2, "", None],
    [None, None, None, 1, "색상", "레드", "1,000원", "", "", "병합"],
    ["G1", None, None, 0, "색상", "블랙", 0, "", "", ""],            # a repeated option: a reject
    ["G1", "그룹", None, 3, "색상", "그린", -100, "", "", True],     # after the reject, another type
    ["G2", "품절 그룹", 2000, 0, "사이즈", "M", 0, "", "품절", ""],
    ["G2", "품절 그룹", 2000, 0, "사이즈", "L", 0, "", "", ""],
    ["G3", "재고 없음", 3000, None, "색상", "a b", 0, "", "", ""],
    ["G3", "다른 이름", 3000, None, "색상", "c", 0, "", "", ""],      # same code, other name: a reject
    ["G4", "목록 옵션", 4000, 9, "색상", "x,y", "0,1", "", "", ""],
    ["G4", None, None, 1, "색상", "z", 2, "", "", ""],
    [],
    [None, None, None, 1, "색상", "고아", 0, "", "", ""],            # after an empty row: a reject
    ["G5", "한 줄", 5000, 4, "색상", "단일", 0, 1.5, "", ""],        # option stock not whole: row reader
    ["G6", "소수 비고", 6000, 4, "색상", "블루", 0, "", "", 0.25],
    ["G6", None, None, 2, "색상", "퍼플", 0, "", "", 0.5],
    ["G2", None, None, 3, "사이즈", "S", 0, "", "", ""],              # G2 again, further down
    ["G1/x", "슬래시", 7000, 1, "색상", "블랙", 0, "", "", ""],
    ["G1-x", None, None, 1, "색상", "화이트", 0, "", "", ""],
]


@pytest.mark.parametrize("chunk", [100_000, 4, 2])
def test_option_groups_read_the_same_as_the_row_reader(tmp_path, monkeypatch, chunk):
    import dropship_core.suppliers.excel_fetch as fetch_mod

    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", chunk)
    wb = Workbook()
    ws = wb.active
    for r in GROUPS:
        ws.append(r)
    ws2 = wb.create_sheet("2")
    ws2.append(GROUPS[0])
    ws2.append(["G6", None, None, 8, "색상", "오렌지", 0, "", "", ""])  # G6 continued on another sheet
    ws2.append(["G7", "둘째 시트", 1000, 1, "색상", "블랙", 0, "", "", ""])
    ws2.append(["G7", "둘째 시트", 1000, 1, "색상", "화이트", 0, "", "", ""])
    wb.save(tmp_path / "groups.xlsx")
    prepared = assert_same(tmp_path / "groups.xlsx")
    if chunk > 10:  # option rows were built with their group, not one by one
        assert prepared.stats["rows_columnar"] >= 10


@pytest.mark.parametrize("fast_read", [True, False])
def test_a_chunk_ends_where_a_product_s_rows_start(tmp_path, monkeypatch, fast_read):
    import dropship_core.suppliers.excel_fetch as fetch_mod
    from dropship_core.suppliers.excel import read_workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["상품코드", "상품명", "공급가", "재고", "옵션명", "옵션값"])
    for code, n in (("A", 3), ("B", 1), ("C", 4), ("D", 2)):  # the code repeated or left blank
        for j in range(n):
            ws.append([code if j in (0, 2) else None, f"상품 {code}" if j == 0 else None, 1000, 1, "색상", f"v{j}"])
    wb.save(tmp_path / "c.xlsx")
    (sheet,), _ = read_workbook(tmp_path / "c.xlsx", fast=fast_read)
    assert (sheet.fast is not None) == fast_read
    # body rows: A A A B C C C C D D, products start at rows 0, 3, 4 and 8
    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", 4)
    assert fetch_mod._chunk_end(sheet, 0, 10, 6) == 4
    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", 6)  # rows 4-7 are C's: the chunk ends before them
    assert (fetch_mod._chunk_end(sheet, 0, 10, 6), fetch_mod._chunk_end(sheet, 4, 10, 6)) == (4, 10)
    monkeypatch.setattr(fetch_mod, "_LOOKBACK", 1)  # no start within reach: cut where the rows end
    assert fetch_mod._chunk_end(sheet, 0, 10, 6) == 6
    for chunk in (2, 3, 4):
        monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", chunk)
        assert_same(tmp_path / "c.xlsx")


@pytest.mark.parametrize("chunk", [100_000, 5])
def test_flat_chunks_taken_whole_read_the_same_as_the_row_reader(tmp_path, monkeypatch, chunk):
    import dropship_core.suppliers.excel_fetch as fetch_mod

    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", chunk)
    taken = []
    whole = fetch_mod._all_new_plain
    monkeypatch.setattr(fetch_mod, "_all_new_plain", lambda *a: taken.append(whole(*a)) or taken[-1])
    wb = Workbook()
    ws = wb.active
    ws.append(["상품코드", "상품명", "공급가", "재고", "판매상태"])
    for i in range(20):  # row 17 repeats the code of row 2: its chunk goes row by row
        ws.append([f"F{i if i != 16 else 1}", f"평범한 상품 {i}", f"{1000 + i:,}원", i % 4, "품절" if i == 3 else ""])
    wb.save(tmp_path / "flat.xlsx")
    prepared = assert_same(tmp_path / "flat.xlsx")
    assert [r.reason for r in prepared.rejects] == ["duplicate supplier code F1 (first at flat.xlsx!Sheet:row 3)"]
    assert taken[-(20 // min(chunk, 20)):] == ([True, True, True, False] if chunk == 5 else [False])


def test_prepared_ingest_stores_what_ingest_stores(store, demo_dir):
    cat = ExcelCatalog("excel-acme", demo_dir / "acme.xlsx")
    r1 = store.ingest_prepared("excel-acme", cat.fetch_prepared().products, RunInfo("r1"), complete=True)
    assert r1.new == 320
    r2 = store.ingest("excel-acme", cat.fetch_rows().products, RunInfo("r2"), complete=True)
    assert (r2.unchanged, r2.new, r2.changed) == (320, 0, 0)


_KILL_SCRIPT = """
import sys
from dropship_core.store import RunInfo, Store
from dropship_core.model import canonical_bytes
rows = []
for i in range(int(sys.argv[2])):
    d = {"supplier_key": "kill", "supplier_item_id": f"K{i}", "name": "x" * 200, "status": "active", "cost": i}
    rows.append((d["supplier_item_id"], canonical_bytes(d), "active"))
print("ready", flush=True)
Store(sys.argv[1]).ingest_prepared("kill", rows, RunInfo("kill"))
print("done", flush=True)
"""


def test_kill_9_mid_import_leaves_all_or_nothing(store, db_url):
    n = 60_000
    env = {**os.environ, "PYTHONPATH": ROOT}
    seen = set()
    for delay in (0.3, 1.0, 2.0):
        p = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, db_url, str(n)], stdout=subprocess.PIPE,
                             env=env, text=True)
        assert p.stdout.readline().strip() == "ready"
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        with store.connect() as c:
            got = c.execute("SELECT count(*) FROM source_data WHERE supplier_key = 'kill'").fetchone()[0]
            events = c.execute("SELECT count(*) FROM source_data_events WHERE supplier_key = 'kill'").fetchone()[0]
        assert got in (0, n) and events == got
        seen.add(got)
        if got == n:
            break
    # and a re-run completes without duplicates
    p = subprocess.run([sys.executable, "-c", _KILL_SCRIPT, db_url, str(n)], env=env, capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    with store.connect() as c:
        assert c.execute("SELECT count(*), count(DISTINCT supplier_item_id) FROM source_data").fetchone() == (n, n)
