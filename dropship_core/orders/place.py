"""Place collected order lines with their supplier, exactly once.

OwnerClan (an order API):
1. `simulateCreateOrder` (no side effects): a sold-out item -> seller cancel on the market
   (SOLD_OUT); a supplier price above what we listed at -> `held` for a person, with the
   difference; otherwise
2. the line goes to `placing` (committed) BEFORE `createOrder` is sent with
   `note = "{market}-{market line id}"`;
3. `placed` with the supplier's order key, and the customs code is cleared.
Before any new attempt for a line found in `placing` (a timeout, a 5xx, a kill -9 between the
call and the write) the supplier is asked `allOrders(note:)` first; only if it has no such order
(and the last attempt is older than `settle_s`, so a slow in-flight create has landed) is
`createOrder` sent again.

Suppliers without an order API get purchase-order sheets (`purchase_orders.py`).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable

from dropship_core.orders.ownerclan import (CreateUnknown, NotApplied, OwnerClanOrders,
                                            SupplierRejected, note_of, order_input)
from dropship_core.orders.store import OrderStore
from dropship_core.store.store import RunInfo

API_KINDS = {"ownerclan"}


def supplier_kind(supplier_key: str | None) -> str:
    if not supplier_key:
        return "unknown"
    try:
        from dropship_core.suppliers.registry import load_accounts

        for acc in load_accounts():
            if acc.key == supplier_key:
                return acc.kind
    except Exception:  # noqa: BLE001 - no suppliers.yaml: fall back to the key's prefix
        pass
    for kind in ("ownerclan", "domeggook", "excel", "webhook"):
        if supplier_key.startswith(kind):
            return kind
    return "excel"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _placed(store: OrderStore, line: dict, order: dict, run: RunInfo, how: str) -> None:
    amount = sum(int(p.get("price") or 0) * int(p.get("quantity") or 1)
                 for p in order.get("products") or [])
    store.transition(line["id"], "placed", run, "placed", expect=["placing"],
                     payload={"supplier_order_ref": order["key"], "how": how},
                     supplier_order_ref=order["key"], supplier_amount=amount or None,
                     placed_at=_now(), customs=None, hold_reason=None, hold_detail=None)


def _check_price(store: OrderStore, line: dict, sim: dict, run: RunInfo) -> bool:
    """False (and the line held) when the supplier now charges more than we listed at."""
    qty = int(line["quantity"])
    items = sum(int(a.get("amount") or 0) for a in sim.get("itemAmounts") or [])
    listed = int(line.get("listed_cost") or 0) * qty
    if listed and items > listed:
        store.transition(line["id"], "held", run, "held", expect=["new", "held"],
                         payload={"reason": "supplier price up", "listed": listed, "now": items,
                                  "difference": items - listed},
                         hold_reason="supplier price up",
                         hold_detail={"listed_cost": listed, "supplier_amount": items,
                                      "difference": items - listed,
                                      "shipping": sim.get("shippingAmount")})
        return False
    return True


def place_line(store: OrderStore, oc: OwnerClanOrders, line: dict, run: RunInfo, *,
               settle_s: float = 60.0, accept_held: bool = False,
               max_not_applied: int = 3, sleep: Callable[[float], None] = time.sleep) -> str:
    """Returns what happened: placed | recovered | held | sold_out | rejected | pending."""
    note = note_of(line)
    inp = None
    if line["status"] == "placing":
        found = oc.find_by_note(note)
        if found:
            _placed(store, line, found[0], run, "recovered by note")
            return "recovered"
        if (_now() - line["updated_at"]).total_seconds() < settle_s:
            return "pending"
    else:
        if line["status"] == "held" and not accept_held:
            return "held"
        inp = order_input(line, store.buyer(line["id"]), oc.sender)
        try:
            sim = oc.simulate(inp)
        except SupplierRejected as exc:
            return _rejected(store, line, exc, run)
        if line["status"] == "new" and not _check_price(store, line, sim, run):
            return "held"
        store.transition(line["id"], "placing", run, "placing", expect=["new", "held"],
                         payload={"note": note})
    inp = inp or order_input(line, store.buyer(line["id"]), oc.sender)
    for attempt in range(max_not_applied):
        try:
            order = oc.create(inp)
        except NotApplied:
            sleep(min(2.0 ** attempt * 0.2, 5.0))
            if oc.find_by_note(note):        # never send again without looking first
                break
            continue
        except CreateUnknown as exc:
            store.note(line["id"], "place_outcome_unknown", {"error": str(exc)[:300]}, run,
                       last_error={"place": str(exc)[:300]})
            return "pending"
        except SupplierRejected as exc:
            store.transition(line["id"], "new", run, "place_rejected", expect=["placing"],
                             payload={"error": str(exc)[:300]})
            return _rejected(store, store.line(line["id"]), exc, run)
        _placed(store, line, order, run, "created")
        return "placed"
    found = oc.find_by_note(note)
    if found:
        _placed(store, line, found[0], run, "recovered by note")
        return "recovered"
    return "pending"


def _rejected(store: OrderStore, line: dict, exc: SupplierRejected, run: RunInfo) -> str:
    if exc.sold_out:
        store.transition(line["id"], "cancelling", run, "supplier_sold_out",
                         payload={"reason": "SOLD_OUT"}, hold_reason="supplier sold out")
        return "sold_out"
    store.transition(line["id"], "held", run, "supplier_rejected",
                     payload={"error": str(exc)[:300]}, hold_reason="supplier rejected",
                     hold_detail={"error": str(exc)[:300]})
    return "rejected"


def place_api_lines(store: OrderStore, oc_for: Callable[[str], OwnerClanOrders], run: RunInfo, *,
                    ids: list[int] | None = None, settle_s: float = 60.0,
                    accept_held: bool = False, workers: int = 4) -> dict[str, Any]:
    """Every new (and in-flight `placing`) line of an API supplier; `ids` narrows it. Lines are
    independent (one supplier order each), so `workers` place them concurrently."""
    from concurrent.futures import ThreadPoolExecutor

    statuses = ["new", "placing"] + (["held"] if accept_held else [])
    kinds: dict[str, bool] = {}
    todo = []
    for line in store.lines(status=statuses, ids=ids):
        key = line["supplier_key"]
        if key not in kinds:
            kinds[key] = supplier_kind(key) in API_KINDS
        if kinds[key]:
            todo.append(line)
    clients = {k: oc_for(k) for k, api in kinds.items() if api}

    def one(line: dict) -> str:
        return place_line(store, clients[line["supplier_key"]], line, run, settle_s=settle_s,
                          accept_held=accept_held)

    out: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for what in pool.map(one, todo):
            out[what] = out.get(what, 0) + 1
    return out
