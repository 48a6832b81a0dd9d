"""Shared pieces of the marketplace tests: sandboxes on loopback ports, clients pointed at them,
listings, and two implementations of the `record` contract (in memory, and the real store)."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import time
import uuid

import httpx

from dropship_core.markets import builders as b
from dropship_core.markets.compliance import prepare
from dropship_core.markets.coupang import CoupangClient
from dropship_core.markets.esm import EsmClient
from dropship_core.http import RetryPolicy
from dropship_sandbox.market_rules import RuleBook, esm_sandbox_tree
from dropship_core.markets.settings import SANDBOX_SELLER
from dropship_core.markets.smartstore import SmartStoreClient
from dropship_sandbox import coupang as sb_coupang
from dropship_sandbox import esm as sb_esm
from dropship_sandbox import smartstore as sb_smartstore
from dropship_core.serve import ServerThread

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
MARKETS = ("smartstore", "coupang", "gmarket")


class Sleeper:
    """A real sleep that remembers how long it was asked to sleep."""

    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(seconds)


FAST_RETRY = RetryPolicy(max_attempts=5, backoff_base=0.02, backoff_max=0.2, max_retry_after=5)


class Sandboxes:
    def __init__(self, only: tuple[str, ...] | None = None, **kw):
        apps = {
            "smartstore": lambda: sb_smartstore.create_app(
                rate=kw.get("smartstore_rate"), require_cdn_images=kw.get("require_cdn", False),
                token_ttl=kw.get("token_ttl", sb_smartstore.TOKEN_TTL_S)),
            "coupang": lambda: sb_coupang.create_app(
                rate=kw.get("coupang_rate"), approval=kw.get("approval", "on_get"),
                approval_delay=kw.get("approval_delay", 0.0)),
            "gmarket": lambda: sb_esm.create_app(rate=kw.get("esm_rate")),
        }
        self.servers = {m: ServerThread(make()) for m, make in apps.items()
                        if only is None or m in only}
        for s in self.servers.values():
            s.start()
        self.http = httpx.Client(timeout=5)

    def url(self, market: str) -> str:
        return self.servers[market].url

    def faults(self, market: str, body: dict) -> None:
        """Queue faults, e.g. {"429": 1, "delay": 0.6} (see dropship_sandbox.market_common)."""
        r = self.http.post(self.url(market) + "/__faults", json=body)
        r.raise_for_status()

    def calls(self, market: str) -> dict:
        return self.http.get(self.url(market) + "/__calls").json()

    def state(self, market: str) -> dict:
        return self.http.get(self.url(market) + "/__state").json()

    def copies(self, market: str, seller_code: str) -> int:
        """How many products on the marketplace carry this seller code."""
        st = self.state(market)
        if market == "smartstore":
            return st["by_seller_code"].get(seller_code, 0)
        if market == "coupang":
            return sum(1 for p in st["products"].values()
                       if p["items"][0]["externalVendorSku"].split("#")[0] == seller_code)
        return st["by_managed_code"].get(seller_code, 0)

    def client(self, market: str, *, seller=None, timeout: float = 2.0, retry=FAST_RETRY,
               sleep=time.sleep, rate: float = 1000.0, **kw):
        seller = seller or dataclasses.replace(SANDBOX_SELLER)
        cid = kw.pop("client_id", sb_smartstore.SANDBOX_CLIENT_ID)
        secret = kw.pop("client_secret", sb_smartstore.SANDBOX_CLIENT_SECRET)
        common = dict(timeout=timeout, retry=retry, sleep=sleep, rate=rate, burst=rate,
                      seller=seller, **kw)
        if market == "smartstore":
            return SmartStoreClient(cid, secret, self.url(market), **common)
        if market == "coupang":
            return CoupangClient(sb_coupang.SANDBOX_ACCESS_KEY, sb_coupang.SANDBOX_SECRET_KEY,
                                 sb_coupang.SANDBOX_VENDOR_ID, self.url(market), **common)
        # goods search is paced at 30/min by default (see test_esm_search_is_paced); reconcile
        # tests would otherwise wait on it
        common.setdefault("search_per_minute", 6000)
        return EsmClient(sb_esm.SANDBOX_MASTER_ID, sb_esm.SANDBOX_SECRET_KEY,
                         sb_esm.SANDBOX_SITE_IDS, self.url(market), **common)

    def stop(self):
        self.http.close()
        for s in self.servers.values():       # ask all to exit first, then wait for each
            s.server.should_exit = True
        for s in self.servers.values():
            s.thread.join(timeout=5)


# a tumbler's category on each market: real SmartStore / Coupang ids, the ESM sandbox's code
TUMBLER = {"smartstore": "50004540", "coupang": "80535", "gmarket": "생활/건강>주방용품>잔/컵"}


def tumbler_category(market: str) -> str:
    if market != "gmarket":
        return TUMBLER[market]
    md = esm_sandbox_tree()
    return next(r.category_id for r in md.rules.values() if r.path == TUMBLER["gmarket"])


def make_listing(code: str | None = None, *, options: bool = True, market: str = "smartstore",
                 **over) -> dict:
    """A listing the sandbox `market` accepts: its tumbler category, and the notice and options
    that category's rules ask for (as market_listings would add them); `over` applies last."""
    code = code or f"excel-acme:{uuid.uuid4().hex[:8]}"
    listing = {
        "title": "스테인리스 텀블러 500ml 블랙", "price": 15900, "consumer_price": 19900,
        "stock": 12, "category_id": tumbler_category(market), "category_path": "주방>텀블러",
        "options": ([{"sku": "BK", "options": {"색상": "블랙"}, "price_delta": 0, "stock": 5},
                     {"sku": "WH", "options": {"색상": "화이트"}, "price_delta": 1000,
                      "stock": 7}] if options else []),
        "images": ["https://img.example.com/a.jpg", "https://img.example.com/b.jpg"],
        "tax_type": "TAX", "adult": False, "shipping_fee": 3000, "return_fee": 3000,
        "brand": "브랜드", "manufacturer": "제조사", "model": "T-500", "origin": "중국",
        "description": "보온 보냉 텀블러", "notice": {}, "seller_code": code, "state": "active",
    }
    book = RuleBook(market)
    raw = {"manufacturer": "제조사", "origin": "중국", "model": "T-500",
           "supplier_item_id": code.split(":")[-1]}
    ai = {"attributes": {"capacity": "500ml", "color": "블랙"}}
    problems = prepare(market, listing, raw, ai, book.md)
    assert not problems, problems
    listing.update(over)
    return listing


def make_entry(listing: dict) -> dict:
    return {"listing": listing, "listable": True, "blocked_reasons": [],
            "listing_hash": b.digest(listing), "status": "pending", "external": {}}


def set_listing(entry: dict, listing: dict) -> None:
    entry["listing"] = listing
    entry["listing_hash"] = b.digest(listing)


# What market_listings keeps of a previous entry when it recomputes one (dropship_core.listing
# SYNC_KEYS in the backbone); everything else is rebuilt, and status is recomputed.
LISTINGS_KEEP = ("external", "published_hash", "published_listing", "last_error", "sync_status",
                 "attempts")


def relist(entry: dict, listing: dict | None = None) -> dict:
    """Recompute `entry` the way market_listings does (same listing unless one is given)."""
    listing = listing if listing is not None else entry["listing"]
    h = b.digest(listing)
    kept = {k: entry[k] for k in LISTINGS_KEEP if k in entry}
    published = entry.get("published_hash")
    status = (entry.get("status", "published") if published == h
              else "pending_update" if published else "pending")
    entry.clear()
    entry.update(kept, listing=listing, listing_hash=h, listable=True, blocked_reasons=[],
                 diff={}, status=status)
    return entry


class MemoryRecorder:
    """The record contract, kept in memory: merge the patch, append the event."""

    def __init__(self, entry: dict):
        self.entry = entry
        self.events: list[tuple[str, dict]] = []
        self.patches: list[dict] = []

    def __call__(self, patch: dict, event_type, payload: dict) -> None:
        json.dumps(patch, ensure_ascii=False)      # must be JSON-able for the store
        json.dumps(payload, ensure_ascii=False)
        self.patches.append(patch)
        self.entry.update(patch)
        if event_type is not None:
            self.events.append((event_type, payload))

    def types(self) -> list[str]:
        return [e for e, _ in self.events]


class PgRecorder:
    """The record contract against the real store: one transaction per call, patch merged into
    market_data[market], event appended, committed before returning."""

    def __init__(self, conn, market: str, product_id: int):
        self.conn, self.market, self.product_id = conn, market, product_id

    def __call__(self, patch: dict, event_type, payload: dict) -> None:
        with self.conn.transaction():
            row = self.conn.execute(
                "UPDATE source_data SET market_data = jsonb_set(market_data, %s::text[], "
                "coalesce(market_data->%s, '{}'::jsonb) || %s::jsonb), updated_at = now() "
                "WHERE id = %s RETURNING supplier_key, supplier_item_id",
                ([self.market], self.market, json.dumps(patch, ensure_ascii=False),
                 self.product_id)).fetchone()
            if event_type is not None:
                self.conn.execute(
                    "INSERT INTO source_data_events (product_id, supplier_key, supplier_item_id,"
                    " event_type, payload, asset_key, partition_key) "
                    "VALUES (%s, %s, %s, %s, %s::jsonb, 'market_sync', %s)",
                    (self.product_id, row[0], row[1], event_type,
                     json.dumps({"market": self.market, **payload}, ensure_ascii=False),
                     self.market))

    def entry(self) -> dict:
        return self.conn.execute("SELECT market_data->%s FROM source_data WHERE id = %s",
                                 (self.market, self.product_id)).fetchone()[0]


def insert_product(conn, market: str, listing: dict) -> int:
    supplier, item = listing["seller_code"].split(":", 1)
    md = {market: make_entry(listing)}
    return conn.execute(
        "INSERT INTO source_data (supplier_key, supplier_item_id, raw_data, market_data, "
        "content_hash) VALUES (%s, %s, '{}'::jsonb, %s::jsonb, 'h') RETURNING id",
        (supplier, item, json.dumps(md, ensure_ascii=False))).fetchone()[0]
