"""The demo's order step: a few paid orders on the sandbox markets for listings the demo just
published, then the `orders` asset per market through the local instance (collect, place,
confirm), the supplier ships, tracking comes back (OwnerClan by API, Excel suppliers through a
filled-in purchase-order sheet and `import-tracking`), and a second run dispatches.
Returns the order table by market."""

import os
from pathlib import Path

from dropship_app.table import table
from dropship_core.markets.names import MARKETS
from dropship_core.orders.place import supplier_kind
from dropship_core.orders.purchase_orders import import_tracking, po_folder
from dropship_core.orders.store import OrderStore
from dropship_core.store.store import RunInfo
from dropship_sandbox.order_seed import fake_buyer
from dropship_sandbox.orders_stack import start_order_stack

SANDBOX = {"smartstore": "smartstore", "coupang": "coupang", "gmarket": "esm"}
PER_MARKET = 4


def _specs(store: OrderStore, market: str) -> list[dict]:
    """Order specs for published listings: OwnerClan items first, one Excel item, one unknown."""
    rows = [r for r in store.listing_rows(market) if (r["entry"] or {}).get("status") == "published"]
    if market == "gmarket":      # ESM orders name no option: single-option listings only
        rows = [r for r in rows if not (r["entry"]["listing"].get("options"))]
    api = [r for r in rows if supplier_kind(r["supplier_key"]) == "ownerclan"][:PER_MARKET - 1]
    other = [r for r in rows if supplier_kind(r["supplier_key"]) == "excel"][:1]
    specs = []
    for i, r in enumerate(api + other):
        listing, ext = r["entry"]["listing"], r["entry"].get("external") or {}
        opt = (listing.get("options") or [None])[0]
        code = listing["seller_code"]
        specs.append({"product_name": listing.get("title"), "quantity": 1,
                      "unit_price": listing.get("price"), "buyer": fake_buyer(i + len(market)),
                      "seller_code": code, "option_code": opt["sku"] if opt else None,
                      "external_sku": f"{code}#{opt['sku']}" if opt else code,
                      "goods_no": ext.get("siteGoodsNo_gmkt") or ext.get("goodsNo")
                      or ext.get("sellerProductId")})
    specs.append({"product_name": "등록되지 않은 상품", "quantity": 1, "unit_price": 9900,
                  "buyer": fake_buyer(99), "seller_code": "unknown:1", "external_sku": "unknown:1",
                  "goods_no": "G-unknown"})
    return specs


def _reply_sheets(store: OrderStore, run: RunInfo) -> int:
    """The Excel suppliers fill in carrier and tracking number and send the sheet back."""
    from openpyxl import load_workbook

    n = 0
    for key in {r["supplier_key"] for r in store.lines(status=["placed", "confirmed"])
                if str(r["supplier_order_ref"] or "").startswith("po:")}:
        for sheet in Path(po_folder(key)).glob("발주서_*.xlsx"):
            wb = load_workbook(sheet)
            ws = wb.active
            for i, row in enumerate(ws.iter_rows(min_row=2), start=1):
                row[10].value, row[11].value = "CJ대한통운", f"5{i:011d}"
            reply = sheet.with_name(sheet.stem + "_회신.xlsx")
            wb.save(reply)
            n += import_tracking(store, reply, key, run)["updated"]
            reply.unlink()
    return n


def run_orders_demo(url: str, instance, report) -> str:
    from dropship_assets.definitions import defs

    saved = dict(os.environ)
    stack = start_order_stack(ownerclan_items=300, rate_limits=False, esm_query_interval_s=0.2)
    os.environ.update(stack.env)
    store = OrderStore(url)
    job = defs.resolve_job_def("orders_job")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    try:
        for m in MARKETS:
            with stack.orders[SANDBOX[m]].lock:
                for spec in _specs(store, m):
                    stack.orders[SANDBOX[m]].seed(spec)
        for attempt in (1, 2):
            for m in MARKETS:
                res = job.execute_in_process(partition_key=m, instance=instance,
                                             raise_on_error=False, run_config=quiet)
                report(res, f"orders[{m}] #{attempt}")
            if attempt == 1:
                stack.orders["ownerclan"].ship(None)
                _reply_sheets(store, RunInfo.cli("demo import-tracking"))
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
    rows = [dict(r) for r in store.summary()]
    store.close()
    return table(rows, ["market", "collected", "placed", "shipped", "cancelled", "unmatched", "held"])
