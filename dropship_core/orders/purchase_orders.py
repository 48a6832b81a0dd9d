"""Suppliers without an order API (Domeggook, Excel suppliers, webhook partners): purchase-order
sheets (발주서) as .xlsx in the supplier's drop folder, and tracking back from an Excel import.

Folder: the account's `po_folder` setting, else DROPSHIP_HOME/purchase_orders/<supplier key>/.
The sheet carries the receiver's name, phone and address because the supplier ships to them;
it is written with mode 0600. Exactly once: the lines go to `placing` with the file name as their
supplier reference BEFORE the file is written (atomically: temp file + rename); a run that finds
lines in `placing` with a `po:` reference (re)writes that same file, then marks them placed.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dropship_core.orders.carriers import CarrierError, normalize
from dropship_core.orders.ownerclan import note_of
from dropship_core.orders.place import API_KINDS, supplier_kind
from dropship_core.orders.store import OrderStore
from dropship_core.store.store import RunInfo

HEADERS = ["주문번호", "상품코드", "옵션", "수량", "수령인", "연락처", "우편번호", "주소", "상세주소",
           "배송메모", "택배사", "송장번호"]


def po_folder(supplier_key: str) -> Path:
    try:
        from dropship_core.suppliers.registry import load_accounts

        for acc in load_accounts():
            if acc.key == supplier_key and acc.setting("po_folder"):
                return Path(acc.setting("po_folder"))
    except Exception:  # noqa: BLE001 - no suppliers.yaml: the default folder
        pass
    home = Path(os.environ.get("DROPSHIP_HOME") or Path.cwd() / ".dropship")
    return home / "purchase_orders" / supplier_key


def _write(store: OrderStore, path: Path, lines: list[dict]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "발주서"
    ws.append(HEADERS)
    for ln in lines:
        b = store.buyer(ln["id"])
        opt = ", ".join(f"{k}:{v}" for k, v in (ln["option_attrs"] or {}).items())
        ws.append([note_of(ln), ln["supplier_item_id"], opt, ln["quantity"], b.get("receiver_name"),
                   b.get("receiver_phone"), b.get("zip_code"), b.get("address1"),
                   b.get("address2"), b.get("memo"), "", ""])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_purchase_orders(store: OrderStore, run: RunInfo, ids: list[int] | None = None
                          ) -> dict[str, Any]:
    """Sheets for every new line of a supplier without an order API; returns files and counts."""
    groups: dict[str, list[dict]] = {}
    for ln in store.lines(status=["new", "placing"], ids=ids):
        if supplier_kind(ln["supplier_key"]) in API_KINDS or not ln["supplier_key"]:
            continue
        if ln["status"] == "placing" and not str(ln["supplier_order_ref"] or "").startswith("po:"):
            continue
        groups.setdefault(ln["supplier_key"], []).append(ln)
    files = []
    for key, lines in groups.items():
        files += _sheets_for(store, key, lines, run)
    return {"files": files, "lines": sum(f["lines"] for f in files)}


def _sheets_for(store: OrderStore, key: str, lines: list[dict], run: RunInfo) -> list[dict]:
    folder = po_folder(key)
    fresh = [ln for ln in lines if ln["status"] == "new"]
    if fresh:
        digest = hashlib.sha1(",".join(str(ln["id"]) for ln in fresh).encode()).hexdigest()[:8]
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        name = f"발주서_{key}_{stamp}_{digest}.xlsx"
        for ln in fresh:
            store.transition(ln["id"], "placing", run, "placing", expect=["new"],
                             payload={"purchase_order": name}, supplier_order_ref=f"po:{name}")
    by_file: dict[str, list[int]] = {}
    for ln in store.lines(status="placing", supplier_key=key):
        ref = str(ln["supplier_order_ref"] or "")
        if ref.startswith("po:"):
            by_file.setdefault(ref[3:], []).append(ln["id"])
    out = []
    for name, ids in by_file.items():
        rows = store.lines(ids=ids)
        _write(store, folder / name, rows)
        for ln in rows:
            store.transition(ln["id"], "placed", run, "placed", expect=["placing"],
                             payload={"purchase_order": name}, placed_at=datetime.now(timezone.utc),
                             customs=None)
        out.append({"supplier": key, "file": str(folder / name), "lines": len(rows)})
    return out


def _header_row(ws) -> tuple[int, dict[str, int]] | None:
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=20, values_only=True), start=1):
        cols = {str(v).strip(): i for i, v in enumerate(row) if v is not None}
        if "주문번호" in cols and "송장번호" in cols:
            return r, cols
    return None


def import_tracking(store: OrderStore, path: str | Path, supplier_key: str, run: RunInfo
                    ) -> dict[str, Any]:
    """Tracking numbers from a supplier's sheet (the 발주서 returned with 택배사/송장번호 filled)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb.active
    found = _header_row(ws)
    if found is None:
        raise ValueError(f"{path}: no header row with 주문번호 and 송장번호")
    head, cols = found
    out: dict[str, Any] = {"rows": 0, "updated": 0, "unchanged": 0, "rejected": []}
    for n, row in enumerate(ws.iter_rows(min_row=head + 1, values_only=True), start=head + 1):
        note = str(row[cols["주문번호"]] or "").strip()
        tracking = str(row[cols["송장번호"]] or "").strip().replace("-", "")
        if not note and not tracking:
            continue
        out["rows"] += 1
        reason = _import_row(store, note, tracking, row[cols["택배사"]] if "택배사" in cols else None,
                             supplier_key, run)
        if reason in ("updated", "unchanged"):
            out[reason] += 1
        else:
            out["rejected"].append({"row": n, "order": note, "reason": reason})
    wb.close()
    return out


def _import_row(store: OrderStore, note: str, tracking: str, carrier_name: Any,
                supplier_key: str, run: RunInfo) -> str:
    market, _, line_id = note.partition("-")
    line = store.find(f"{market}:{line_id}") if line_id else None
    if line is None:
        return f"no order line {note!r}"
    if line["supplier_key"] != supplier_key:
        return f"order {note} belongs to supplier {line['supplier_key']}, not {supplier_key}"
    if not tracking.isdigit():
        return f"tracking number {tracking!r} is not digits"
    try:
        carrier = normalize(str(carrier_name or ""))
    except CarrierError as exc:
        return str(exc)
    if line["tracking_number"] == tracking and line["carrier"] == carrier:
        return "unchanged"
    if line["status"] not in ("placed", "confirmed"):
        return f"order {note} is {line['status']}: tracking not accepted"
    store.note(line["id"], "tracking_received", {"carrier": carrier, "tracking_number": tracking,
                                                 "source": "excel import"}, run,
               carrier=carrier, tracking_number=tracking)
    return "updated"
