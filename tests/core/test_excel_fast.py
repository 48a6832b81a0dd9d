"""The fast read (fastexcel into polars) against the reference read (python-calamine): the same
products, rejects and notes on every workbook, taken only where it can vouch for the sheet."""

import datetime
import hashlib

import pytest
from openpyxl import Workbook

from dropship_core.model import canonical_bytes
from dropship_core.store import RunInfo
from dropship_core.suppliers.excel import ExcelCatalog, read_workbook
from dropship_core.suppliers.excel_fetch import Unchanged


def outcome(result):
    products = [bytes(p[1]) for p in result.products]
    rejects = [(r.reason, r.source, canonical_bytes(r.raw)) for r in result.rejects]
    stats = {k: v for k, v in result.stats.items() if k != "rows_columnar"}
    return products, rejects, stats


def assert_fast_is_reference(path, key="k"):
    cat = ExcelCatalog(key, path, default_shipping_fee=2500)
    fast = outcome(cat.fetch_prepared())
    assert fast == outcome(cat.fetch_prepared(fast_read=False))
    # and the row-by-row reader, the reference of the column-wise one, agrees
    ref = cat.fetch_rows()
    assert fast[0] == [canonical_bytes(p.to_dict()) for p in ref.products]
    return fast


def fast_sheets(path):
    sheets, _ = read_workbook(path, fast=True)
    return {s.sheet: s.fast is not None for s in sheets}


def save(path, sheets: dict, merge=()):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for rng in merge if name == next(iter(sheets)) else ():
            ws.merge_cells(rng)
    wb.save(path)
    return path


@pytest.mark.parametrize("name", ["acme.xlsx", "daon.xlsx", "hanbit.xlsx"])
def test_demo_workbooks(demo_dir, name):
    assert_fast_is_reference(demo_dir / name)


def test_demo_workbooks_mostly_take_the_fast_read(demo_dir):
    # acme mixes text and numbers in its price columns on purpose: the reference read
    assert fast_sheets(demo_dir / "acme.xlsx") == {"상품목록": False}
    assert fast_sheets(demo_dir / "daon.xlsx") == {"Sheet1": True}
    assert fast_sheets(demo_dir / "hanbit.xlsx") == {"상품리스트": True}


# every cell text, so every column is one type and the fast read vouches for the sheet: the
# messy parts are in the text itself
TEXT_MESSY = [
    ["거래처 단가표", None, None],
    [],
    ["상품코드", "상품명", "공급가", "재고", "옵션명", "옵션값", "옵션가", "판매상태", "비고", "비고"],
    ["A1", "  텀블러 \"500\" \\ml ", "12,000원", "3", "", "", "", "", "메모", None],
    ["A2", "같은 재고 0", "9000", "0", "", "", "", "", None, None],
    ["A2", "중복", "9000", "1", "", "", "", "", None, None],
    ["A3", "옵션", "1.2만", "10", "색상", "블랙", "0", "일시품절", None, None],
    [None, None, None, "4", "색상", "네이비", "1,000원", None, None, None],
    ["A3", None, None, "1", "색상", "블랙", "0", None, None, None],
    ["A4", "숫자 아님", "문의", "1", "", "", "", "", None, None],
    ["A5", "음수", "1000", "-3", "", "", "", "", None, None],
    ["A/6,x", "슬래시", "₩ 9,900", "  15 ", "", "", "", "", None, None],
    ["A7", "\u3000전각\xa0", "1000", "1", "", "", "", "", None, None],
    ["A8", "탭\t줄바꿈\n", "1000", "", "", "", "", "", None, None],
    [None, "코드 없음", "1000", "1", "", "", "", "", None, None],
    [],
    ["A10", "빈 줄 뒤", "-", "-", "", "", "", "", None, None],
    ["A11", "만 원", "3만원", "+5", "", "", "", "", None, None],
]


def test_text_only_messy_sheet_with_title_rows(tmp_path):
    p = save(tmp_path / "text.xlsx", {"목록": TEXT_MESSY, "안내": [["주문 마감 오후 2시"]]})
    assert fast_sheets(p) == {"목록": True}
    products, rejects, stats = assert_fast_is_reference(p)
    assert len(rejects) >= 5 and stats["skipped_sheets"]


def test_numbers_blank_rows_and_a_far_column(tmp_path):
    rows = [["상품코드", "상품명", "공급가", "재고", "배송비"]]
    for i in range(40):
        rows.append([f"N{i}", f"상품 {i}", 1000.5 + i, i % 3, None if i % 4 else 2500])
        if i % 9 == 0:
            rows.append([])
    p = save(tmp_path / "nums.xlsx", {"s": rows})
    wb_rows = [[None, None] + r for r in rows]  # the table starts at column C
    q = save(tmp_path / "offset.xlsx", {"s": [[]] * 0 + wb_rows})
    for path in (p, q):
        assert fast_sheets(path) == {"s": True}
        assert_fast_is_reference(path)


def test_merged_option_rows_and_several_sheets(tmp_path):
    p = save(tmp_path / "m.xlsx", {
        "의류": [["업체상품코드", "상품명(필수)", "공급단가", "수량", "옵션구분", "옵션항목", "옵션추가금"],
                ["D1", "캔버스 에코백", 6000, 9, "색상", "블랙", 0],
                [None, None, None, None, "색상", "카키", 500],
                ["D3", "셔츠", 7000, 1, "색상", "블랙", 0],
                ["D3", "셔츠", 7000, 2, "색상", "블랙", 0]],
        "잡화": [["상품코드", "상품명", "공급가", "재고"], ["D2", "크로스백", "8,000", "4"], ["D1", "중복", "8,000", "4"]],
    }, merge=("A2:A3",))
    assert fast_sheets(p) == {"의류": True, "잡화": True}
    _, rejects, _ = assert_fast_is_reference(p)
    assert {r[0].split(" (")[0] for r in rejects} == {
        "duplicate supplier code D1", "duplicate option {'색상': '블랙'} for supplier code D3"}


@pytest.mark.parametrize("header,cell,why", [
    (["상품코드", "상품명", "공급가", 2024], 1, "a number in the header row"),
    (["상품코드", "상품명", "공급가", "상품명"], 1, "a header name fastexcel de-duplicates"),
    (["상품코드", "상품명", "공급가", "비고"], True, "a boolean column"),
    (["상품코드", "상품명", "공급가", "비고"], datetime.datetime(2024, 1, 2), "a date column"),
])
def test_sheets_the_fast_read_declines_read_the_reference_way(tmp_path, header, cell, why):
    p = save(tmp_path / "d.xlsx", {"s": [header, ["X1", "이름", 1000, cell], ["X2", "이름2", "2,000", cell]]})
    assert fast_sheets(p) == {"s": False}, why
    assert_fast_is_reference(p)


def flat_rows(n, extra=()):
    rows = [["상품코드", "상품명", "공급가", "재고", "옵션명", "옵션값"]]
    rows += [[f"F{i}", f"상품 {i}", f"{1000 + i:,}원", i % 5, "", ""] for i in range(n)]
    return rows + list(extra)


def stored(store):
    with store.connect() as c:
        return dict(c.execute("SELECT supplier_item_id, (content_hash, source_row_digest) FROM source_data").fetchall())


def test_forced_re_read_skips_unchanged_rows_and_writes_nothing(store, tmp_path, monkeypatch):
    import dropship_core.suppliers.excel_fetch as fetch_mod

    group = [["G1", "그룹", "5,000원", j, "색상", c] for j, c in enumerate(("블랙", "화이트"))]
    p = save(tmp_path / "f.xlsx", {"s": flat_rows(200, group)})
    assert fast_sheets(p) == {"s": True}
    cat = ExcelCatalog("f", p)
    assert cat.fetch_prepared(known=lambda: store.source_row_digests("f")).products == cat.fetch_prepared().products
    first = store.ingest_prepared("f", cat.fetch_prepared().products, RunInfo("r1"), complete=True)
    assert first.new == 201
    before = stored(store)
    # products carry the digest of their source rows (a group of option rows, of its rows), with the
    # hash it was taken for
    assert all(v[1].endswith("@" + v[0]) for v in before.values())
    known = store.source_row_digests("f")
    assert set(known) == set(before)
    again = cat.fetch_prepared(known=known)
    assert all(isinstance(r[1], Unchanged) for r in again.products)  # nothing is built, the group neither
    # a chunk ends before the group's rows rather than cut them in two
    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", 201)
    again = cat.fetch_prepared(known=known)
    assert all(isinstance(r[1], Unchanged) for r in again.products)
    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", 50)
    again = cat.fetch_prepared(known=known)
    assert all(isinstance(r[1], Unchanged) for r in again.products)
    res = store.ingest_prepared("f", again.products, RunInfo("r2"), complete=True)
    assert (res.new, res.changed, res.unchanged, res.delisted) == (0, 0, 201, 0)
    assert stored(store) == before
    with store.connect() as c:
        assert c.execute("SELECT count(*), count(DISTINCT run_id) FROM source_data_events").fetchone() == (201, 1)
    # the stored JSON is the reference read's, byte for byte
    ref = {x.supplier_item_id: canonical_bytes(x.to_dict()) for x in cat.fetch_rows().products}
    assert {k: v[0] for k, v in before.items()} == {k: hashlib.blake2b(v, digest_size=16).hexdigest()
                                                   for k, v in ref.items()}


def test_a_changed_row_or_a_later_row_of_the_same_code_builds_the_products(store, tmp_path, monkeypatch):
    import dropship_core.suppliers.excel_fetch as fetch_mod

    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", 10)
    p = save(tmp_path / "a.xlsx", {"s": flat_rows(30)})
    store.ingest_prepared("a", ExcelCatalog("a", p).fetch_prepared().products, RunInfo("r1"), complete=True)
    # F3 changed; F25 gets an option row at the end of the file (a later chunk adds to it)
    rows = flat_rows(30, [["F25", None, None, 1, "색상", "블랙"]])
    rows[4][2] = "9,999원"
    q = save(tmp_path / "a.xlsx", {"s": rows})
    cat = ExcelCatalog("a", q)
    got = cat.fetch_prepared(known=store.source_row_digests("a"))
    assert all(isinstance(r[1], bytes) for r in got.products)  # read again without skipping
    assert [r[1] for r in got.products] == [canonical_bytes(x.to_dict()) for x in cat.fetch_rows().products]
    res = store.ingest_prepared("a", got.products, RunInfo("r2"), complete=True)
    assert (res.new, res.changed, res.unchanged) == (0, 2, 28)
    after = stored(store)
    assert after["F3"][1].endswith("@" + after["F3"][0]) and after["F25"][1] is None


def test_a_product_changed_in_the_store_since_the_digests_were_read(store, tmp_path):
    from dropship_core.store.ingest import StaleSourceDigest

    p = save(tmp_path / "s.xlsx", {"s": flat_rows(5)})
    cat = ExcelCatalog("s", p)
    store.ingest_prepared("s", cat.fetch_prepared().products, RunInfo("r1"), complete=True)
    skipped = cat.fetch_prepared(known=store.source_row_digests("s")).products
    assert all(isinstance(r[1], Unchanged) for r in skipped)
    # meanwhile F1 was delisted and F2 changed by another import
    store.ingest_prepared("s", [r for r in cat.fetch_prepared().products if r[0] != "F1"], RunInfo("r2"),
                          complete=True)
    with pytest.raises(StaleSourceDigest):
        store.ingest_prepared("s", skipped, RunInfo("r3"), complete=True)
    assert "F1" not in store.source_row_digests("s")  # a delisted product is always built again
    res = store.ingest_prepared("s", cat.fetch_prepared(known=store.source_row_digests("s")).products,
                                RunInfo("r4"), complete=True)
    assert (res.changed, res.unchanged) == (1, 4)


def option_rows(n, changes=None):
    """n products of three options each, one row per option: the code repeated or (every third
    product) left blank under it, the name on every option row of every other product."""
    rows = [["상품코드", "상품명", "공급가", "재고", "옵션명", "옵션값", "옵션가"]]
    for i in range(n):
        for j, color in enumerate(("블랙", "화이트", "그레이")):
            code = None if j and i % 3 == 0 else f"O{i}"
            name = f"옵션 상품 {i}" if j == 0 or (i % 2 and code) else None
            rows.append([code, name, f"{2000 + i:,}원" if j == 0 else None, j + i % 4, "색상", color, j * 100])
    for (k, col), value in (changes or {}).items():
        rows[k][col] = value
    return rows


def hashes(products):
    """(item id, content hash, status) of prepared products, built or not built again."""
    return [(r[0], r[1] if isinstance(r[1], Unchanged) else hashlib.blake2b(r[1], digest_size=16).hexdigest(), r[2])
            for r in products]


def test_forced_re_read_skips_unchanged_option_groups(store, tmp_path, monkeypatch):
    from dropship_core.store.ingest import StaleSourceDigest
    import dropship_core.suppliers.excel_fetch as fetch_mod

    monkeypatch.setattr(fetch_mod, "CHUNK_ROWS", 12)  # four products a chunk
    p = save(tmp_path / "o.xlsx", {"s": option_rows(12)})
    assert fast_sheets(p) == {"s": True}
    cat = ExcelCatalog("og", p)
    assert store.ingest_prepared("og", cat.fetch_prepared().products, RunInfo("r1"), complete=True).new == 12
    before = stored(store)
    # a product of one row per option carries the digest of its rows, with the hash it was taken for
    assert all(v[1].endswith("@" + v[0]) for v in before.values())
    known = store.source_row_digests("og")
    again = cat.fetch_prepared(known=known)
    assert all(isinstance(r[1], Unchanged) for r in again.products)
    assert hashes(again.products) == hashes(cat.fetch_prepared().products)
    res = store.ingest_prepared("og", again.products, RunInfo("r2"), complete=True)
    assert (res.new, res.changed, res.unchanged) == (0, 0, 12) and stored(store) == before

    # an option's price in the first chunk, an option's value in the third: those chunks are built
    q = save(tmp_path / "o2.xlsx", {"s": option_rows(12, {(5, 6): 150, (33, 5): "네이비"})})
    cat2 = ExcelCatalog("og", q)
    got = cat2.fetch_prepared(known=known)
    assert [r[0] for r in got.products if isinstance(r[1], Unchanged)] == ["O4", "O5", "O6", "O7"]
    assert hashes(got.products) == hashes(cat2.fetch_prepared().products)
    assert [h for _, h, _ in hashes(got.products)] == [
        hashlib.blake2b(canonical_bytes(x.to_dict()), digest_size=16).hexdigest() for x in cat2.fetch_rows().products]
    res = store.ingest_prepared("og", got.products, RunInfo("r3"), complete=True)
    assert (res.changed, res.unchanged, sorted(res.changed_ids)) == (2, 10, ["O1", "O10"])
    after = stored(store)
    assert after["O1"] != before["O1"] and after["O1"][1].endswith("@" + after["O1"][0])

    # one more option row for O5: its chunk is built; the chunks after it end before a product's
    # rows as before, a row later, and are not
    rows = option_rows(12, {(5, 6): 150, (33, 5): "네이비"})
    rows.insert(19, ["O5", "옵션 상품 5", None, 1, "색상", "레드", 300])
    r = save(tmp_path / "o3.xlsx", {"s": rows})
    got = ExcelCatalog("og", r).fetch_prepared(known=store.source_row_digests("og"))
    assert [x[0] for x in got.products if not isinstance(x[1], Unchanged)] == ["O4", "O5", "O6"]
    assert hashes(got.products) == hashes(ExcelCatalog("og", r).fetch_prepared().products)
    # a later row adds an option to a product of an unchanged chunk: the file is read again in full
    rows = option_rows(12, {(5, 6): 150, (33, 5): "네이비"}) + [["O2", None, None, 1, "색상", "레드", 0]]
    r = save(tmp_path / "o4.xlsx", {"s": rows})
    got = ExcelCatalog("og", r).fetch_prepared(known=store.source_row_digests("og"))
    assert not any(isinstance(x[1], Unchanged) for x in got.products)
    assert got.products == ExcelCatalog("og", r).fetch_prepared().products

    # the digests of the first file are stale now (O1 and O10 changed in the store): refused
    with pytest.raises(StaleSourceDigest):
        store.ingest_prepared("og", again.products, RunInfo("r4"), complete=True)
    assert stored(store) == after


def test_a_sheet_past_the_fast_row_limit_takes_the_reference_read(demo_dir, monkeypatch):
    # the fast read holds a whole sheet twice over (cells, then Arrow): big sheets are read the
    # reference way, whose peak is lower (bench/bench_ingest_memory.py)
    from dropship_core.suppliers import excel_fast

    assert fast_sheets(demo_dir / "daon.xlsx") == {"Sheet1": True}
    monkeypatch.setattr(excel_fast, "FAST_MAX_ROWS", 100)
    assert fast_sheets(demo_dir / "daon.xlsx") == {"Sheet1": False}
    assert_fast_is_reference(demo_dir / "daon.xlsx")
