"""`dropship export MODEL --out FILE` and `dropship report --format xlsx`: pandas frames written
as workbooks sellers open in Excel (Korean headers, number formats, no formulas)."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from dropship_core.markets.names import MARKETS
from dropship_core.spreadsheet import write_xlsx
from tests.observe.conftest import run_pipeline

ROOT = Path(__file__).resolve().parents[2]
MARGIN_HEADERS = ["마켓", "카테고리", "상품 수", "게시 중", "평균 판매가", "평균 공급가", "평균 마진", "판매가 합계",
                  "마진 합계", "마진율", "역마진 상품 수"]


def dropship(args, db_url, cwd):
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "dropship_app.cli", *args], env=env, cwd=cwd, capture_output=True,
                       text=True, timeout=300, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_export_margin_mart_as_xlsx_and_csv(world, tmp_path):
    run_pipeline(world)
    out = tmp_path / "x.xlsx"
    # --mode live: computed from this test's store (the shared test database may hold an
    # `analytics` schema built by other tests)
    said = dropship(["export", "mart_margin_by_market_category", "--out", str(out), "--mode", "live"],
                    world["db_url"], tmp_path)
    assert "computed live" in said
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == MARGIN_HEADERS
    body = rows[1:]
    assert {r[0] for r in body} == set(MARKETS)
    assert sum(r[2] for r in body) == 12 * len(MARKETS)   # every listing counted once
    for r in body:
        assert isinstance(r[4], (int, float)) and r[4] > r[5] > 0   # prices are numbers, not text
        assert -1 <= r[9] <= 1
    assert ws["J2"].number_format == "0.0%" and ws["E2"].number_format == '#,##0"원"'
    assert ws.freeze_panes == "A2"

    csv_out = tmp_path / "x.csv"
    dropship(["export", "mart_margin_by_market_category", "--out", str(csv_out), "--mode", "live"],
             world["db_url"], tmp_path)
    raw = csv_out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")   # Excel reads the Korean headers as UTF-8
    with csv_out.open(encoding="utf-8-sig") as f:
        lines = list(csv.reader(f))
    assert lines[0] == MARGIN_HEADERS and len(lines) == 1 + len(body)

    report = tmp_path / "report.xlsx"
    dropship(["report", "--format", "xlsx", "--out", str(report), "--mode", "live"], world["db_url"], tmp_path)
    wb = load_workbook(report)
    assert {"catalog_health", "margin_by_market_category", "sync_lag", "llm_spend_daily"} <= set(wb.sheetnames)
    assert [c.value for c in wb["catalog_health"][1]][0] == "공급사"


def test_unknown_model_is_a_clear_error(db_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "dropship_app.cli", "export", "mart_nope", "--out", str(tmp_path / "a.xlsx")],
                       env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 2 and "unknown model(s) mart_nope" in p.stderr and "Traceback" not in p.stderr


def test_text_that_excel_would_run_stays_text(tmp_path):
    df = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "@SUM(A1:A9)", "+1", "텀블러"], "price": [1000, 2000, 3000, 4000]})
    out = write_xlsx(tmp_path / "f.xlsx", {"t": df})
    ws = load_workbook(out).active
    cells = [ws.cell(row=i, column=1) for i in range(2, 6)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells] == ["'=cmd|' /C calc'!A0", "'@SUM(A1:A9)", "'+1", "텀블러"]
    assert [c.value for c in ws[1]] == ["상품명", "판매가"]


def test_export_price_review_list(world, tmp_path):
    run_pipeline(world)
    store = world["resources"]["store"].store
    rows = sorted(store.agent_listing_rows("coupang"), key=lambda r: r["id"])[:2]
    store.replace_agent_decisions("coupang", "run-review", [
        {"agent": "pricing", "kind": "price_recommendation", "product_id": r["id"], "status": "pending_approval",
         "payload": {"old_price": 10000, "new_price": 10900, "reasons": ["경쟁 상품보다 9% 저렴"]}} for r in rows])
    out = tmp_path / "review.xlsx"
    said = dropship(["export", "price_review", "--out", str(out)], world["db_url"], tmp_path)
    assert "2 price recommendations" in said
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header[:4] == ["결정 번호", "마켓", "공급사", "공급사 상품코드"]
    assert "가격 변동률" in header and "새 가격" in header
    body = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(body) == 2 and {r[3] for r in body} == {r["raw_data"]["supplier_item_id"] for r in rows}
    rate_col = header.index("가격 변동률") + 1
    assert ws.cell(row=2, column=rate_col).value == 0.09
    assert ws.cell(row=2, column=rate_col).number_format == "0.0%"
