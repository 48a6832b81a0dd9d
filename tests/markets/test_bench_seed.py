"""The bench's bulk first publish (bench/seed_published.py, the sandboxes' POST /__bulk_create)
leaves the sandbox and the listing entry as a publish through the API does: the next sync of a
stock change takes the same action with the same number of calls."""

from __future__ import annotations

import copy
import dataclasses
import sys

import httpx
import pytest

from dropship_core.markets.settings import SANDBOX_SELLER
from dropship_core.markets.sync import sync_listing
from dropship_sandbox import coupang as sb_coupang
from dropship_sandbox import esm as sb_esm
from dropship_sandbox import smartstore as sb_smartstore
from markets_testkit import ROOT, MemoryRecorder, make_entry, make_listing, set_listing

sys.path.insert(0, str(ROOT / "bench"))
from seed_published import _seed_group, would_create  # noqa: E402

MARKETS = ("smartstore", "coupang", "gmarket")
ACCOUNTS = {"smartstore": sb_smartstore.SANDBOX_CLIENT_ID, "coupang": sb_coupang.SANDBOX_ACCESS_KEY,
            "gmarket": sb_esm.SANDBOX_MASTER_ID}
SYNC_STATE = ("status", "sync_status", "last_error", "attempts", "blocked_reasons")


def _seed(sandboxes, market: str, entry: dict) -> tuple[list, list]:
    with httpx.Client(base_url=sandboxes.url(market), timeout=10) as http:
        return _seed_group(http, ACCOUNTS[market], market, [(1, entry)],
                           dataclasses.replace(SANDBOX_SELLER), 10)


def _stock_change(entry: dict, market: str) -> None:
    new = dict(entry["listing"])
    if market == "gmarket":
        new["stock"] = 3
    else:
        new["options"] = [dict(o, stock=o["stock"] + 1) for o in new["options"]]
    set_listing(entry, new)


@pytest.mark.parametrize("market", MARKETS)
def test_bulk_seed_equals_a_publish_through_the_api(sandboxes, market):
    listing = make_listing(options=market != "gmarket", market=market)
    by_api = make_entry(listing)
    seeded = make_entry(make_listing(options=market != "gmarket", market=market))
    assert would_create(market, by_api) and would_create(market, seeded)

    out = sync_listing(sandboxes.client(market), market, by_api, MemoryRecorder(by_api))
    assert out.ok and out.action == "create"
    calls = sandboxes.calls(market)["total"]
    rows, refused = _seed(sandboxes, market, seeded)
    assert refused == [] and len(rows) == 1
    assert sandboxes.calls(market)["total"] == calls          # not an API call
    pid, patch, payload = rows[0]
    seeded.update(patch)
    assert payload["external"] == seeded["external"] and pid == 1
    assert {k: seeded[k] for k in SYNC_STATE} == {k: by_api[k] for k in SYNC_STATE}
    assert set(seeded) == set(by_api) and set(seeded["external"]) == set(by_api["external"])
    assert seeded["published_hash"] == seeded["listing_hash"]
    assert seeded["published_listing"] == seeded["listing"]
    assert sandboxes.copies(market, seeded["listing"]["seller_code"]) == 1
    if market == "coupang":
        def skus(e):     # externalVendorSku: seller code # option sku
            return sorted(k.split("#")[1] for k in e["external"]["vendorItems"])

        assert skus(seeded) == skus(by_api) == ["BK", "WH"]
    assert not would_create(market, seeded)

    # the next stock change: the same action and the same calls on both
    outcomes = []
    for entry in (by_api, seeded):
        _stock_change(entry, market)
        outcomes.append(sync_listing(sandboxes.client(market), market, entry,
                                     MemoryRecorder(entry)))
    assert [(o.ok, o.action, o.calls) for o in outcomes] == [(True, "offer", outcomes[0].calls)] * 2


@pytest.mark.parametrize("market", MARKETS)
def test_bulk_create_validates_like_the_create_handler(sandboxes, market):
    bad = make_entry(make_listing(options=market != "gmarket", market=market, title=""))
    rows, refused = _seed(sandboxes, market, bad)
    assert rows == [] and len(refused) == 1
    assert sandboxes.copies(market, bad["listing"]["seller_code"]) == 0
    r = httpx.post(sandboxes.url(market) + "/__bulk_create", json={"account": "nobody", "bodies": [{}]})
    assert r.status_code == 400 and r.json() == {"error": "unknown account"}
