"""Idempotent push of one listing to one marketplace.

Store-agnostic: the caller hands in `market_data[market]` (the *entry*) and a `record` callback;
this module decides what to do, talks to the marketplace through the client, and reports every
state change through `record` the moment it is known (an external id is persisted before any
follow-up call can fail).

The record contract::

    record(patch: dict, event_type: str | None, payload: dict) -> None

- `patch` is merged at the top level into `market_data[market]` (keys replaced, a None value
  stores JSON null), e.g. {"status": "published", "external": {...}, "published_hash": "..."}.
- `event_type` is one of EVENT_TYPES, appended to the product's event log with `payload`; None
  means "persist the patch, no event" (the create-in-flight marker, ids learnt after a create).
- It must be durable when it returns (commit), and must raise if it cannot persist.

Sync state kept in the entry (and which `market_listings` must carry over when it recomputes an
entry): external, published_hash, published_listing, last_error, sync_status, attempts.

Decisions (per entry):

- listing_hash == published_hash -> nothing, zero API calls;
- the same listing was refused before (last_error not retryable) -> nothing;
- listing.state deleted/soldout -> stop (suspend) if it is on the marketplace;
- no external id -> create; a create whose response was lost is reconciled by the seller code
  (sellerManagementCode / externalVendorSku / managedCode), never sent twice blindly;
- content changed -> full update; only price/stock changed -> the price/stock calls only;
- a stopped product whose listing is active again -> resume (+ update if it changed);
- a marketplace rejection -> a failed outcome carrying the marketplace's response; never raises.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from dropship_core import metrics
from dropship_core.markets import builders as b
from dropship_core.markets.adapter import adapter_for
from dropship_core.markets.errors import MarketError, OutcomeUnknown
from dropship_core.markets.names import MARKET_EVENT_TYPES
from dropship_core.secrets import redact

log = logging.getLogger("dropship.markets.sync")

EVENT_TYPES = MARKET_EVENT_TYPES
STOPPED_STATES = ("deleted", "soldout")

Record = Callable[[dict, "str | None", dict], None]


@dataclass
class SyncOutcome:
    market: str
    seller_code: str
    action: str            # none | create | reconcile | update | offer | stop | resume | blocked
    ok: bool
    events: list[str] = field(default_factory=list)
    calls: int = 0
    external: dict = field(default_factory=dict)
    error: dict | None = None
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def in_flight_marker(listing_hash: str) -> dict:
    """`last_error` while a create is in flight: if we never learn its outcome (lost response,
    crash), the next run looks the product up by seller code before creating anything."""
    return {"message": "create in flight; outcome unknown", "outcome_unknown": True,
            "retryable": True, "listing_hash": listing_hash, "at": _now()}


def done_patch(external: dict, listing_hash: str, listing: dict, status: str = "published") -> dict:
    """What a sync records once the marketplace holds `listing` under `external`.
    published_listing: what the marketplace now holds; the next run diffs against it to pick the
    cheapest call (price/stock only, full update, resume)."""
    return {"status": status, "sync_status": status, "external": external,
            "published_hash": listing_hash, "published_listing": listing,
            "last_error": None, "attempts": 0, "blocked_reasons": [], "synced_at": _now()}


class _Run:
    """State of one sync_listing call."""

    def __init__(self, client, market: str, entry: dict, record: Record, seller):
        self.client = client
        self.market = market
        self.adapter = adapter_for(market)
        self.entry = entry
        self.record_cb = record
        self.seller = seller or client.seller
        self.listing = dict(entry.get("listing") or {})
        self.lh = entry.get("listing_hash") or b.digest(self.listing)
        self.ext = dict(entry.get("external") or {})
        self.code = str(self.listing.get("seller_code") or "")
        self.events: list[str] = []
        self.calls0 = client.http.calls.total

    def record(self, patch: dict, event_type: str | None, payload: dict) -> None:
        if event_type is not None:
            assert event_type in EVENT_TYPES, event_type
            self.events.append(event_type)
        self.record_cb(patch, event_type, payload)

    def outcome(self, action: str, ok: bool = True, error: dict | None = None,
                detail: str = "") -> SyncOutcome:
        calls = self.client.http.calls.total - self.calls0
        metrics.record_sync_outcome(self.market, action, ok, calls, error)
        return SyncOutcome(self.market, self.code, action, ok, list(self.events), calls,
                           dict(self.ext), error, detail)

    def done_patch(self, status: str = "published") -> dict:
        return done_patch(self.ext, self.lh, self.listing, status)

    def pending(self) -> dict | None:
        last = self.entry.get("last_error") or {}
        return last if last.get("outcome_unknown") and not self.has_id() else None

    def has_id(self) -> bool:
        return bool(self.ext.get(self.adapter.primary_id))


def sync_listing(client, market: str, entry: dict, record: Record, *, seller=None) -> SyncOutcome:
    """Bring `market` in line with `entry["listing"]`. Never raises for a marketplace error."""
    if getattr(client, "market", market) != market:
        raise ValueError(f"a {client.market} client cannot sync {market}")
    run = _Run(client, market, entry, record, seller)
    try:
        return _sync(run)
    except OutcomeUnknown as exc:
        return _failed(run, exc.to_dict(), outcome_unknown=True)
    except MarketError as exc:
        # the marketplace answered (or never took the request): nothing was created
        return _failed(run, exc.to_dict())
    except Exception as exc:  # one item must never break the batch
        log.exception("sync of %s on %s failed", run.code, market)
        return _failed(run, {"market": market, "message": redact(f"{type(exc).__name__}: {exc}"),
                             "retryable": True}, outcome_unknown=True)


def _failed(run: _Run, error: dict, action: str = "failed",
            outcome_unknown: bool = False) -> SyncOutcome:
    error = dict(error, listing_hash=run.lh, at=_now())
    patch = {"last_error": error, "external": run.ext,
             "attempts": int(run.entry.get("attempts") or 0) + 1}
    if not run.has_id():
        if outcome_unknown and run.pending():
            # a create may have happened: the next run reconciles before any new create
            error["outcome_unknown"] = True
            patch.update(status="publishing", sync_status="publishing")
        else:
            patch.update(status="failed", sync_status="failed")
    else:
        patch["sync_status"] = "failed"
    # else: the product is still live with its last accepted version; status stays as it is,
    # published_hash stays behind listing_hash, so the next run retries
    try:
        run.record(patch, "publish_failed", {"error": error, "listing_hash": run.lh})
    except Exception:
        log.exception("could not record the failure of %s on %s", run.code, run.market)
    return run.outcome(action, ok=False, error=error, detail=error.get("message") or "")


def _sync(run: _Run) -> SyncOutcome:
    entry, listing = run.entry, run.listing
    status = entry.get("status")
    state = listing.get("state") or "active"

    if entry.get("published_hash") == run.lh:
        return run.outcome("none", detail="published_hash == listing_hash")
    last = entry.get("last_error") or {}
    if last.get("listing_hash") == run.lh and last.get("retryable") is False:
        return run.outcome("none", ok=False, error=last,
                           detail="rejected before; waiting for a new listing")

    if state in STOPPED_STATES:
        if run.pending():
            _reconcile(run)
        if not run.has_id():
            return run.outcome("none", detail=f"{state} and never published")
        return _stop(run, state)

    if entry.get("listable") is False:
        return run.outcome("blocked", ok=False, detail="; ".join(entry.get("blocked_reasons") or []))
    reasons = b.validate_listing(run.market, listing)
    if reasons:
        # last_error (kept by market_listings) makes the same listing a no-op next time
        error = {"message": "blocked: " + "; ".join(reasons), "blocked_reasons": reasons,
                 "retryable": False, "listing_hash": run.lh, "at": _now()}
        patch = {"blocked_reasons": reasons, "last_error": error, "sync_status": "blocked"}
        if not run.has_id():
            patch["status"] = "blocked"
        run.record(patch, "publish_failed", {"blocked_reasons": reasons, "listing_hash": run.lh})
        return run.outcome("blocked", ok=False, detail="; ".join(reasons))

    if not run.has_id():
        pending = run.pending()
        if pending and _reconcile(run):
            if pending.get("listing_hash") == run.lh:
                run.record(run.done_patch(), "published", {"external": run.ext,
                                                          "listing_hash": run.lh})
                return run.outcome("reconcile")
            return _update(run, action="reconcile")
        return _create(run)

    pub = entry.get("published_listing") or {}
    content_changed = b.digest(b.content_of(pub)) != b.digest(b.content_of(listing))
    resumed = False
    if status == "stopped" or pub.get("state") in STOPPED_STATES:
        # ESM: one sell-status call (in _offer) both re-opens sales and sets price/stock
        if not run.adapter.resume_with_offer or content_changed or not pub:
            run.adapter.resume(run)
        resumed = True
    if content_changed or not pub:
        return _update(run, action="resume" if resumed else "update")
    old_offer, new_offer = b.offer_of(pub), b.offer_of(listing)
    if old_offer != new_offer or resumed:
        return _offer(run, old_offer, new_offer, action="resume" if resumed else "offer")
    run.record(run.done_patch(), None, {})
    return run.outcome("none", detail="no marketplace-relevant change")


# -- create / reconcile --------------------------------------------------------------------

def _find(run: _Run) -> dict | None:
    pid = run.adapter.primary_id
    found = [f for f in run.adapter.find(run) if f.get(pid)]
    if len(found) > 1:
        log.warning("%s: %d products carry seller code %s; using the oldest", run.market,
                    len(found), run.code)
        found.sort(key=lambda f: int(f[pid]))
    return found[0] if found else None


def _reconcile(run: _Run) -> bool:
    hit = _find(run)
    if not hit:
        return False
    run.ext.update(hit)
    run.adapter.after_reconcile(run)
    run.record({"external": run.ext, "last_error": None, "status": "published",
                "sync_status": "published"},
               "reconciled", {"external": run.ext, "seller_code": run.code})
    return True


def _create(run: _Run) -> SyncOutcome:
    # persisted before the call: if we die mid-create, the next run reconciles first
    marker = in_flight_marker(run.lh)
    run.record({"status": "publishing", "sync_status": "publishing", "last_error": marker}, None,
               {})
    run.entry = dict(run.entry, last_error=marker)
    try:
        run.adapter.create(run)
    except OutcomeUnknown as exc:
        # the create may have happened: look it up by seller code before anything else
        if _reconcile(run):
            run.record(run.done_patch(), "published", {"external": run.ext, "listing_hash": run.lh,
                                                      "after": "lost create response"})
            return run.outcome("reconcile")
        err = exc.to_dict()
        err["message"] = (f"{exc.message} (create outcome unknown; not found by seller code yet, "
                          "will reconcile before any new create)")
        return _failed(run, err, outcome_unknown=True)
    # the id first, on its own: follow-up calls may fail
    run.record(run.done_patch(), "published", {"external": run.ext, "listing_hash": run.lh})
    run.adapter.after_create(run)
    return run.outcome("create")


# -- update / offer / stop ------------------------------------------------------------------

def _update(run: _Run, action: str = "update") -> SyncOutcome:
    run.adapter.update(run)
    run.record(run.done_patch(), "updated",
               {"listing_hash": run.lh, "diff": run.entry.get("diff"), "action": action})
    return run.outcome(action)


def _offer(run: _Run, old: dict, new: dict, action: str = "offer") -> SyncOutcome:
    old_items, new_items = old.get("items") or {}, new.get("items") or {}
    price_changed = [k for k, v in new_items.items() if (old_items.get(k) or [None])[0] != v[0]]
    stock_changed = [k for k, v in new_items.items()
                     if (old_items.get(k) or [None, None])[1] != v[1]]
    if set(old_items) != set(new_items):
        return _update(run, action)
    if not run.adapter.offer(run, price_changed, stock_changed, new_items, action):
        return _update(run, action)
    patch = run.done_patch()
    if price_changed:
        run.record(patch, "price_changed", {"from": old.get("price"), "to": new.get("price"),
                                            "items": {k: [(old_items.get(k) or [None])[0],
                                                          new_items[k][0]] for k in price_changed}})
    if stock_changed:
        run.record(patch, "stock_changed", {"items": {k: [(old_items.get(k) or [None, None])[1],
                                                          new_items[k][1]] for k in stock_changed}})
    if not price_changed and not stock_changed:
        run.record(patch, "updated", {"listing_hash": run.lh, "action": action})
    return run.outcome(action)


def _stop(run: _Run, state: str) -> SyncOutcome:
    if (run.entry.get("published_listing") or {}).get("state") in STOPPED_STATES:
        run.record(run.done_patch("stopped"), None, {})
        return run.outcome("none", detail="already stopped")
    run.adapter.stop(run)
    run.record(run.done_patch("stopped"), "stopped", {"reason": state, "external": run.ext})
    return run.outcome("stop")


def sync_many(client, market: str, entries: list[tuple[Any, dict]],
              record_for: Callable[[Any], Record], *, seller=None) -> list[SyncOutcome]:
    """Convenience loop: `entries` is [(product_id, market_data[market])]; one bad item never
    stops the rest."""
    out = []
    t0 = time.monotonic()
    for pid, entry in entries:
        out.append(sync_listing(client, market, entry, record_for(pid), seller=seller))
    log.info("%s: synced %d listings in %.1fs", market, len(out), time.monotonic() - t0)
    return out


def summarize(outcomes: list[SyncOutcome], max_failures: int = 20) -> dict[str, Any]:
    """Metadata for the market_sync asset: counts per action, API calls, failures (markdown)."""
    by_action: dict[str, int] = {}
    for o in outcomes:
        by_action[o.action] = by_action.get(o.action, 0) + 1
    failed = [o for o in outcomes if not o.ok and o.action != "blocked"]
    lines = ["| seller code | error |", "|---|---|"]
    for o in failed[:max_failures]:
        msg = (o.error or {}).get("message") or o.detail
        lines.append(f"| {o.seller_code} | {str(msg).replace('|', '/')[:200]} |")
    return {
        "listings": len(outcomes),
        "created": by_action.get("create", 0),
        "reconciled": by_action.get("reconcile", 0),
        "updated": by_action.get("update", 0),
        "price_stock_only": by_action.get("offer", 0),
        "stopped": by_action.get("stop", 0),
        "resumed": by_action.get("resume", 0),
        "unchanged": by_action.get("none", 0),
        "blocked": by_action.get("blocked", 0),
        "failed": len(failed),
        "api_calls": sum(o.calls for o in outcomes),
        "failures_md": "\n".join(lines) if failed else "none",
    }
