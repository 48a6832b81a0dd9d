"""After placement: confirm on the market, pull tracking from the supplier, dispatch, cancel.

Exactly once on the market side: a line goes to `dispatching` (committed) before the dispatch
call; a line found in `dispatching` is never sent again before the market's own status has been
read (dispatched -> shipped; still dispatchable -> sent again). Seller cancels are claim calls
and are not idempotent: the market's status is read before every attempt.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from dropship_core.markets.errors import MarketError, OutcomeUnknown
from dropship_core.orders.carriers import CarrierError, for_market, normalize
from dropship_core.orders.store import OrderStore
from dropship_core.store.store import RunInfo


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _err(exc: Exception) -> dict:
    d = exc.to_dict() if isinstance(exc, MarketError) else {"message": str(exc)[:300]}
    d.pop("response", None)
    return d


# -- confirm ----------------------------------------------------------------------------------
def confirm_lines(store: OrderStore, mo, run: RunInfo) -> dict[str, int]:
    lines = store.lines(market=mo.market, status="placed")
    out = {"confirmed": 0, "failed": 0, "receiver_changed": 0}
    if not lines:
        return out
    try:
        res = mo.confirm(lines)
    except MarketError as exc:          # a whole-call failure: every line stays placed
        for ln in lines:
            store.note(ln["id"], "confirm_failed", _err(exc), run, last_error=_err(exc))
        out["failed"] = len(lines)
        return out
    # a failed item may be one a retried call already confirmed; Coupang asks for a re-read of
    # the receiver after every acknowledgement, Naver when it says the address changed
    reread = [ln for ln in lines if not res.get(ln["market_line_id"], {}).get("ok")
              or res[ln["market_line_id"]].get("receiver_changed") or mo.market == "coupang"]
    state = mo.read(reread) if reread else {}
    ok_ids = []
    for ln in lines:
        r = res.get(ln["market_line_id"]) or {}
        s = state.get(ln["market_line_id"]) or {}
        if s.get("cancelled"):
            store.transition(ln["id"], "cancelling", run, "market_cancelled",
                             payload={"market_status": s.get("market_status")},
                             hold_reason="cancelled on the market")
        elif r.get("ok") or s.get("confirmed"):
            ok_ids.append(ln["id"])
        else:
            store.note(ln["id"], "confirm_failed", r.get("error") or {}, run,
                       last_error=r.get("error"))
            out["failed"] += 1
    out["confirmed"] = len(store.transition_many(ok_ids, "confirmed", run, "confirmed",
                                                 expect=["placed"], confirmed_at=_now(),
                                                 last_error=None))
    if state:
        upd = store.record_collected([s["line"] for s in state.values()], {}, run)
        out["receiver_changed"] = upd["updated"]
    return out


# -- tracking ---------------------------------------------------------------------------------
def poll_tracking(store: OrderStore, oc_for: Callable[[str], Any], run: RunInfo,
                  is_api: Callable[[str], bool]) -> int:
    """Tracking numbers of placed OwnerClan orders (per product line) onto our lines."""
    waiting = [ln for ln in store.lines(status=["placed", "confirmed"])
               if not ln["tracking_number"] and ln["supplier_order_ref"]
               and is_api(ln["supplier_key"])]
    found: dict[int, dict] = {}
    by_supplier: dict[str, list[dict]] = {}
    for ln in waiting:
        by_supplier.setdefault(ln["supplier_key"], []).append(ln)
    for key, lines in by_supplier.items():
        since = min(ln["placed_at"] for ln in lines) - timedelta(minutes=5)
        shipped = {o["key"]: o for o in oc_for(key).shipped_since(since.timestamp() * 1000)}
        for ln in lines:
            o = shipped.get(ln["supplier_order_ref"])
            prods = [p for p in (o or {}).get("products") or [] if p.get("trackingNumber")]
            if not prods:
                continue
            p = prods[0]
            try:
                carrier = normalize(p.get("shippingCompanyCode") or p.get("shippingCompanyName"))
            except CarrierError as exc:
                store.note(ln["id"], "tracking_unusable", {"error": str(exc)}, run)
                continue
            found[ln["id"]] = {"payload": {"carrier": carrier,
                                           "tracking_number": str(p["trackingNumber"])},
                               "carrier": carrier, "tracking_number": str(p["trackingNumber"])}
    return store.note_many(found, "tracking_received", run)


# -- ship -------------------------------------------------------------------------------------
def _reconcile_dispatching(store: OrderStore, mo, run: RunInfo) -> int:
    pending = store.lines(market=mo.market, status="dispatching")
    if not pending:
        return 0
    state = mo.read(pending)
    n = 0
    for ln in pending:
        s = state.get(ln["market_line_id"]) or {}
        if s.get("dispatched"):
            store.transition(ln["id"], "shipped", run, "shipped",
                             payload={"how": "reconciled from the market's status"},
                             shipped_at=_now(), last_error=None)
            n += 1
        elif s.get("cancelled"):
            store.transition(ln["id"], "cancelling", run, "market_cancelled",
                             hold_reason="cancelled on the market")
        else:   # the market never applied it: dispatchable again
            store.transition(ln["id"], "confirmed", run, "dispatch_not_applied")
    return n


def _cancel_requested(store: OrderStore, mo, lines: list[dict], run: RunInfo) -> set[int]:
    """Buyer cancellations / stop-shipment requests among `lines`, moved to cancelling."""
    ids: set[int] = set()
    if mo.market == "coupang":
        stops = mo.stop_shipment_requests()
        ids = {ln["id"] for ln in lines if ln["market_order_id"] in stops}
    elif mo.market == "smartstore":
        state = mo.read(lines)
        ids = {ln["id"] for ln in lines
               if (state.get(ln["market_line_id"]) or {}).get("cancel_requested")}
    for i in ids:
        store.transition(i, "cancelling", run, "buyer_cancel_requested",
                         hold_reason="buyer cancel")
    return ids


def ship_lines(store: OrderStore, mo, run: RunInfo, *, warn_hours: float = 12) -> dict[str, int]:
    out = {"reconciled": _reconcile_dispatching(store, mo, run), "shipped": 0, "failed": 0,
           "cancel_requested": 0, "deadline_warnings": 0}
    confirmed = store.lines(market=mo.market, status="confirmed")
    if not confirmed:
        return out
    # buyer cancellations / stop-shipment requests first, for every confirmed line: the
    # supplier order is stopped as early as possible
    stop = _cancel_requested(store, mo, confirmed, run)
    out["cancel_requested"] = len(stop)
    confirmed = [ln for ln in confirmed if ln["id"] not in stop]
    out["deadline_warnings"] = _warn_deadlines(
        store, [ln for ln in confirmed if not ln["tracking_number"]], run, warn_hours)
    ready = [ln for ln in confirmed if ln["tracking_number"]]
    if not ready:
        return out
    codes: dict[int, Any] = {}
    for ln in ready:
        if ln["id"] in stop:
            continue
        try:
            codes[ln["id"]] = for_market(mo.market, ln["carrier"], ln["tracking_number"])
        except CarrierError as exc:
            store.note(ln["id"], "carrier_rejected", {"error": str(exc)}, run,
                       last_error={"carrier": str(exc)})
            out["failed"] += 1
    intents = {ln["id"]: {"payload": {"carrier": ln["carrier"],
                                      "tracking_number": ln["tracking_number"]}}
               for ln in ready if ln["id"] in codes}
    moved = store.transition_many(list(intents), "dispatching", run, "dispatching",
                                  expect=["confirmed"], per_line=intents)
    items = [dict(ln, carrier_code=codes[ln["id"]]) for ln in ready if ln["id"] in moved]
    if not items:
        return out
    try:
        res = mo.dispatch(items)
    except OutcomeUnknown as exc:        # stays dispatching: the next run reads the market first
        for it in items:
            store.note(it["id"], "dispatch_outcome_unknown", _err(exc), run)
        return out
    except MarketError as exc:
        for it in items:
            store.transition(it["id"], "confirmed", run, "dispatch_failed", payload=_err(exc),
                             last_error=_err(exc))
        out["failed"] += len(items)
        return out
    shipped = []
    for it in items:
        r = res.get(it["market_line_id"])
        if r and r.get("ok"):
            shipped.append(it["id"])
        elif r is None:                  # not in either list: unknown, read next run
            store.note(it["id"], "dispatch_outcome_unknown", {"message": "no per-item result"}, run)
        else:
            store.transition(it["id"], "confirmed", run, "dispatch_failed", payload=r["error"],
                             last_error=r["error"])
            out["failed"] += 1
    out["shipped"] = len(store.transition_many(shipped, "shipped", run, "shipped",
                                               expect=["dispatching"], shipped_at=_now(),
                                               last_error=None))
    return out


def _warn_deadlines(store: OrderStore, lines: list[dict], run: RunInfo, hours: float) -> int:
    soon = _now() + timedelta(hours=hours)
    n = 0
    for ln in lines:
        dl = ln["dispatch_deadline"]
        if dl and dl <= soon and not (ln["market_extra"] or {}).get("deadline_warned"):
            store.note(ln["id"], "dispatch_deadline_near", {"deadline": dl.isoformat()}, run,
                       market_extra=dict(ln["market_extra"] or {}, deadline_warned=True))
            n += 1
    return n


# -- cancel -----------------------------------------------------------------------------------
def cancel_lines(store: OrderStore, mo, run: RunInfo,
                 supplier_cancel: Callable[[dict], None] | None = None) -> dict[str, int]:
    """Lines in `cancelling`: stop the supplier order when there is one, then cancel on the
    market, after reading its status (a claim call is never blindly resent)."""
    out = {"cancelled": 0, "unknown": 0, "failed": 0}
    lines = store.lines(market=mo.market, status="cancelling")
    if not lines:
        return out
    state = mo.read(lines)
    for ln in lines:
        s = state.get(ln["market_line_id"]) or {}
        if ln["supplier_order_ref"] and supplier_cancel and not (ln["market_extra"] or {}).get(
                "supplier_cancelled"):
            try:
                supplier_cancel(ln)
                store.note(ln["id"], "supplier_order_cancelled", {}, run,
                           market_extra=dict(ln["market_extra"] or {}, supplier_cancelled=True))
            except Exception as exc:  # noqa: BLE001 - recorded; a person takes it from here
                store.note(ln["id"], "supplier_cancel_failed", {"error": str(exc)[:300]}, run)
        if s.get("cancelled"):
            store.transition(ln["id"], "cancelled", run, "cancelled", cancelled_at=_now(),
                             payload={"how": "market status"})
            out["cancelled"] += 1
            continue
        try:
            if ln["hold_reason"] == "buyer cancel" and hasattr(mo, "approve_cancel"):
                mo.approve_cancel(ln)
            elif ln["hold_reason"] == "buyer cancel":
                pass    # Coupang stop-shipment / ESM buyer cancel: the market completes it
            else:
                mo.cancel(ln, "SOLD_OUT")
        except OutcomeUnknown as exc:
            store.note(ln["id"], "cancel_outcome_unknown", _err(exc), run)
            out["unknown"] += 1
            continue
        except MarketError as exc:
            store.note(ln["id"], "cancel_failed", _err(exc), run, last_error=_err(exc))
            out["failed"] += 1
            continue
        store.transition(ln["id"], "cancelled", run, "cancelled", cancelled_at=_now(),
                         payload={"reason": ln["hold_reason"]})
        out["cancelled"] += 1
    return out
