"""The Excel reader on messy, real-shaped workbooks: good rows in, bad rows quarantined with reasons."""

import pytest
from openpyxl import Workbook

from dropship_core.suppliers.excel import BadValue, ExcelCatalog, ExcelReadError, parse_number


def write(path, sheets):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


@pytest.mark.parametrize("text,expected", [
    ("12,000원", 12000), ("₩ 9,900", 9900), (12000.0, 12000), ("3.5천원", 3500), ("1.2만", 12000),
    ("  15000 ", 15000), (None, None), ("", None), (7, 7),
])
def test_parse_number(text, expected):
    assert parse_number(text, "공급가") == expected


@pytest.mark.parametrize("text", ["문의", "12,000원?", "별도", True])
def test_parse_number_rejects_text(text):
    with pytest.raises(BadValue, match="공급가"):
        parse_number(text, "공급가")


def test_negative_is_refused_unless_allowed():
    with pytest.raises(BadValue, match="negative"):
        parse_number(-3, "재고")
    assert parse_number("-1,000", "옵션가", allow_negative=True) == -1000


def test_demo_workbooks_keep_good_rows_and_quarantine_bad(demo_dir):
    acme = ExcelCatalog("excel-acme", demo_dir / "acme.xlsx").fetch()
    assert len(acme.products) == 320
    reasons = {r.reason for r in acme.rejects}
    assert "공급가: '문의' is not a number" in reasons
    assert "재고: -3 is negative" in reasons
    assert any(r.startswith("missing product name") for r in reasons)
    assert any(r.startswith("duplicate supplier code AC1000") for r in reasons)
    assert any(r.startswith("옵션가: 3 prices for 2 option values") for r in reasons)
    # the first AC1000 is kept, the duplicate is quarantined, nothing is lost
    assert len(acme.products) + len(acme.rejects) == acme.stats["rows"]


def test_header_not_on_first_line_text_numbers_option_rows(tmp_path):
    p = write(tmp_path / "h.xlsx", {
        "단가표": [
            ["한빛도매 단가표"], [],
            ["자체상품코드", "제품명", "도매가", "재고수량", "옵션명", "옵션값", "추가금액", "비고"],
            ["H1", "보온 텀블러 500ml", "12,000원", "30", "색상", "블랙", "0원", "메모"],
            ["H1", None, None, "20", "색상", "화이트", "1,000원", None],
            [None, None, None, None, None, None, None, None],
            ["H2", "코팅 프라이팬 28cm", "15000", "0", "", "", "", ""],
        ],
        "안내": [["주문 마감 오후 2시"]],
    })
    r = ExcelCatalog("h", p).fetch()
    assert not r.rejects
    by = {x.supplier_item_id: x for x in r.products}
    assert by["H1"].cost == 12000
    assert [(v.options, v.price_delta, v.stock) for v in by["H1"].variants] == [
        ({"색상": "블랙"}, 0, 30), ({"색상": "화이트"}, 1000, 20)]
    assert by["H1"].stock == 50
    assert by["H2"].status == "soldout"
    assert r.stats["unknown_columns"] == ["비고"]
    assert "안내" in r.stats["skipped_sheets"][0]


def test_comma_lists_and_combination_options(tmp_path):
    p = write(tmp_path / "a.xlsx", {"Sheet": [
        ["상품코드", "상품명", "공급가", "재고", "옵션명", "옵션값", "옵션가", "옵션재고"],
        ["T1", "오버핏 티셔츠", 7000, 10, "색상/사이즈", "블랙/M,블랙/L,화이트/M", "0,0,500", "3,4,5"],
    ]})
    r = ExcelCatalog("a", p).fetch()
    (t,) = r.products
    assert [v.options for v in t.variants] == [
        {"색상": "블랙", "사이즈": "M"}, {"색상": "블랙", "사이즈": "L"}, {"색상": "화이트", "사이즈": "M"}]
    assert [v.price_delta for v in t.variants] == [0, 0, 500]
    assert [v.stock for v in t.variants] == [3, 4, 5]


def test_merged_cells_and_several_sheets(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "의류"
    ws.append(["업체상품코드", "상품명(필수)", "공급단가", "수량", "옵션구분", "옵션항목", "옵션추가금"])
    ws.append(["D1", "캔버스 에코백", 6000, 9, "색상", "블랙", 0])
    ws.append([None, None, None, None, "색상", "카키", 500])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    ws2 = wb.create_sheet("잡화")
    ws2.append(["상품코드", "상품명", "공급가", "재고"])
    ws2.append(["D2", "나일론 크로스백", "8,000", "4"])
    ws2.append(["D1", "중복된 코드", "8,000", "4"])
    wb.save(tmp_path / "m.xlsx")
    r = ExcelCatalog("d", tmp_path / "m.xlsx").fetch()
    by = {x.supplier_item_id: x for x in r.products}
    assert set(by) == {"D1", "D2"}
    assert [v.options["색상"] for v in by["D1"].variants] == ["블랙", "카키"]
    assert [x.reason for x in r.rejects] == ["duplicate supplier code D1 (first at m.xlsx!의류:row 2)"]
    assert r.rejects[0].source == "m.xlsx!잡화:row 3"


def test_unreadable_file_is_a_clear_error(tmp_path):
    p = tmp_path / "broken.xlsx"
    p.write_bytes(b"this is not a zip archive")
    with pytest.raises(ExcelReadError, match="broken.xlsx: not a readable workbook"):
        ExcelCatalog("x", p).fetch()
    with pytest.raises(ExcelReadError, match="file not found"):
        ExcelCatalog("x", tmp_path / "missing.xlsx").fetch()


def test_sheet_without_header_is_a_clear_error(tmp_path):
    p = write(tmp_path / "n.xlsx", {"Sheet": [["a", "b", "c"], [1, 2, 3]]})
    with pytest.raises(ExcelReadError, match="no sheet has a recognisable header row"):
        ExcelCatalog("x", p).fetch()


def test_csv_in_cp949(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes("상품코드,상품명,공급가,재고\nC1,스텐 수저세트,\"5,500원\",12\n".encode("cp949"))
    (c,) = ExcelCatalog("c", p).fetch().products
    assert (c.supplier_item_id, c.cost, c.stock) == ("C1", 5500, 12)
