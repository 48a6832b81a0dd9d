"""Bench setup for large catalogs: the first publish of every listable product, in bulk.

Publishing 100,000 products x 3 markets through the publish job (one create call and a few
store writes per product) takes hours; the benches measure what comes after it. This puts the
same products into the sandboxes and records the same state, in bulk:

- which entries: those `sync._sync` would send to `_create` (`would_create`);
- the request bodies: the real body builders (`adapter.build_body`, the ones `adapter.create`
  sends);
- the sandbox side: `POST /__bulk_create`, which runs each body through the sandbox's own create
  validation and storage (Coupang: and the approval of the after-create read), see
  dropship_sandbox/market_common.py; bodies the sandbox refuses stay unseeded (the publish run
  that follows then tries them, through the API, and counts);
- the store side: `sync.done_patch` with the ids the create answers (Coupang: the vendorItems
  the after-create `refresh_items` reads), merged by `Store.patch_market_entries` with one
  `published` event per product (payload marked `via: bench bulk seed`), one statement per
  group of suppliers and market.

The bench then proves the equivalence: a publish_listings run per market over every partition
makes 0 API calls and finds no candidate.
"""

from __future__ import annotations

import os
import time
from typing import Any, Sequence

import httpx

from dropship_core.markets.adapter import adapter_for
from dropship_core.markets.builders import digest, validate_listing
from dropship_core.markets.coupang.client import vendor_items_by_sku
from dropship_core.markets.esm.client import goods_ids
from dropship_core.markets.smartstore.adapter import product_ids
from dropship_core.markets.sync import STOPPED_STATES, done_patch
from dropship_core.store import RunInfo, Store

# market -> (the account variable the bulk route checks, the sandbox base URL variable)
SANDBOXES = {"smartstore": ("SMARTSTORE_CLIENT_ID", "SMARTSTORE_BASE_URL"),
             "coupang": ("COUPANG_ACCESS_KEY", "COUPANG_BASE_URL"),
             "gmarket": ("ESM_MASTER_ID", "ESM_BASE_URL")}


def would_create(market: str, entry: dict) -> bool:
    """True for the entries `sync._sync` answers with a create: not published in this version,
    not refused before, active, listable, valid for the market, no external id and no create of
    unknown outcome to reconcile."""
    listing = entry.get("listing") or {}
    lh = entry.get("listing_hash") or digest(listing)
    last = entry.get("last_error") or {}
    return (entry.get("published_hash") != lh
            and not (last.get("listing_hash") == lh and last.get("retryable") is False)
            and (listing.get("state") or "active") not in STOPPED_STATES
            and entry.get("listable") is not False
            and not (entry.get("external") or {}).get(adapter_for(market).primary_id)
            and not last.get("outcome_unknown")
            and not validate_listing(market, listing))


def external_ids(market: str, res: dict) -> dict:
    """The external ids a successful create records (adapter.create, plus Coupang's
    after_create read of the vendorItems)."""
    if market == "smartstore":
        return product_ids(res)
    if market == "gmarket":
        return goods_ids(res)
    vids = vendor_items_by_sku(res["product"])
    return {"sellerProductId": int(res["data"]), "vendorItems": vids, "approved": bool(vids)}


def _seed_group(http: httpx.Client, account: str, market: str, entries: list[tuple[int, dict]],
                seller: Any, chunk: int) -> tuple[list[tuple[int, dict, dict]], list[dict]]:
    """Bulk-create `entries` on the sandbox; (store rows for the created ones, the refusals)."""
    adapter = adapter_for(market)
    rows, refused = [], []
    for i in range(0, len(entries), chunk):
        part = entries[i: i + chunk]
        bodies = [adapter.build_body(e["listing"], seller) for _, e in part]
        res = http.post("/__bulk_create", json={"account": account, "bodies": bodies})
        res.raise_for_status()
        for (pid, e), r in zip(part, res.json()["results"], strict=True):
            if r["status"] != 200:
                refused.append(r["body"])
                continue
            ext = external_ids(market, r["body"])
            lh = e.get("listing_hash") or digest(e["listing"])
            rows.append((pid, done_patch(ext, lh, e["listing"]),
                         {"external": ext, "listing_hash": lh, "via": "bench bulk seed"}))
    return rows, refused


def seed_published(store: Store, suppliers: Sequence[str], seller: Any, *, group: int = 10,
                   chunk: int = 500) -> dict[str, dict[str, Any]]:
    """Every listable product of `suppliers` created on the three sandboxes and recorded as
    published. Returns per market: seeded, refused (by the sandbox), seconds, and the first
    refusal's answer."""
    if getattr(seller, "naver_upload_images", False):
        raise ValueError("bulk seeding sends the supplier image URLs as they are: it needs the "
                         "sandbox seller preset (naver_upload_images off)")
    out = {}
    for market, (account_var, url_var) in SANDBOXES.items():
        t, seeded, refused = time.perf_counter(), 0, []
        with httpx.Client(base_url=os.environ[url_var], timeout=600) as http:
            for g in range(0, len(suppliers), group):
                keys = list(suppliers[g: g + group])
                todo = [(pid, e) for pid, e in store.sync_candidates(keys, market)
                        if would_create(market, e)]
                rows, bad = _seed_group(http, os.environ[account_var], market, todo, seller, chunk)
                seeded += store.patch_market_entries(market, rows, RunInfo("bench-seed"), "published")
                refused += bad
        out[market] = {"seeded": seeded, "refused": len(refused), "s": time.perf_counter() - t,
                       "first_refusal": refused[0] if refused else None}
    return out
