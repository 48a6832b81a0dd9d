"""Suppliers without an order API: purchase-order sheets, exactly once across a crash, and
tracking back through `dropship orders import-tracking`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from dropship_core.orders.purchase_orders import po_folder, write_purchase_orders
from dropship_core.store.store import Store
from dropship_sandbox.order_seed import publish_ownerclan_listings, seed_orders

ROOT = Path(__file__).resolve().parents[2]


def test_purchase_order_sheet_and_tracking_import(stack, db_url, order_env, orders, run):
    prods = publish_ownerclan_listings(Store(db_url), stack.base["ownerclan"], "excel-partner", 3)
    seed_orders(stack.orders["coupang"], "coupang", prods, 3)
    orders.collect("coupang", run)
    # a crash after the intent: lines placing with the sheet's name, no file yet
    line = orders.store.lines(status="new")[0]
    orders.store.transition(line["id"], "placing", run, "placing",
                            supplier_order_ref="po:발주서_excel-partner_crashed.xlsx")
    out = orders.place(run)
    files = sorted(Path(po_folder("excel-partner")).glob("*.xlsx"))
    assert len(files) == 2 and out["purchase_orders"]["lines"] == 3
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stack.orders["ownerclan"].dump()["orders"] == 0          # nothing went to OwnerClan
    assert orders.place(run)["purchase_orders"]["lines"] == 0       # never twice
    assert write_purchase_orders(orders.store, run)["files"] == []
    orders.confirm("coupang", run)
    # the supplier fills in carrier and tracking and sends the sheets back
    notes = []
    for f in files:
        wb = load_workbook(f)
        ws = wb.active
        assert [c.value for c in ws[1]][:4] == ["주문번호", "상품코드", "옵션", "수량"]
        for i, row in enumerate(ws.iter_rows(min_row=2), start=1):
            notes.append(row[0].value)
            row[10].value, row[11].value = "한진택배", f"4{len(notes):011d}"
        ws.append(["coupang-0-0", "x", "", 1, "", "", "", "", "", "", "CJ대한통운", "123456789012"])
        wb.save(f)
    env = dict(os.environ, DATABASE_URL=db_url, PYTHONPATH=str(ROOT))
    results = []
    for f in files:
        r = subprocess.run([sys.executable, "-m", "dropship_app.cli", "orders", "import-tracking",
                            str(f), "--supplier", "excel-partner", "--json"],
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
        results.append(json.loads(r.stdout))
        assert r.returncode == 3          # some rows rejected, the rest imported
    assert sum(x["updated"] for x in results) == 3
    assert all(x["rejected"][0]["reason"].startswith("no order line") for x in results)
    shipped = orders.ship("coupang", run)
    assert shipped["shipped"] == 3
    st = stack.orders["coupang"].dump()
    assert st["by_status"] == {"DEPARTURE": 3}
    assert {ln["carrier"] for ln in orders.store.lines()} == {"HANJIN"}
