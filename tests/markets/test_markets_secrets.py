"""Credentials never reach logs, exceptions, outcomes, events or the store."""

from __future__ import annotations

import json
import logging

import pytest

from dropship_app.cli import main as dropship_main
from dropship_core.markets.coupang import CoupangClient
from dropship_core.markets.errors import MarketError
from dropship_core.markets.esm import EsmClient
from dropship_core.http import RetryPolicy
from dropship_core.markets.settings import SANDBOX_SELLER
from dropship_core.markets.smartstore import SmartStoreClient
from dropship_core.markets.sync import sync_listing
from dropship_sandbox import coupang as sb_coupang
from dropship_sandbox import esm as sb_esm
from dropship_sandbox import smartstore as sb_smartstore
from dropship_core.serve import ServerThread
from markets_testkit import MemoryRecorder, make_entry, make_listing, set_listing

NAVER_SECRET = "$2a$04$TOPSECRETnaverSECRETxx"
NAVER_WRONG = "$2a$04$WRONGsecretWRONGsecret"
COUPANG_SECRET = "COUPANG-TOPSECRET-KEY-123"
ESM_SECRET = "ESM-TOPSECRET-KEY-0123456789abcdefghij"
WRONG = "WRONG-SECRET-VALUE-0123456789abcdefghij"
SECRETS = [NAVER_SECRET, NAVER_WRONG, COUPANG_SECRET, ESM_SECRET, WRONG,
           "TOPSECRET", "WRONGsecret"]
BCRYPT_B64_PREFIX = "JDJhJDA0"      # base64("$2a$04"): the start of every client_secret_sign


@pytest.fixture
def servers():
    started = {
        "smartstore": ServerThread(sb_smartstore.create_app({"cid": NAVER_SECRET}, rate=None,
                                                                 require_cdn_images=False)),
        "coupang": ServerThread(sb_coupang.create_app({"AK": (COUPANG_SECRET, "A00000001")},
                                                      rate=None)),
        "gmarket": ServerThread(sb_esm.create_app({"master": (ESM_SECRET, "G:gm")}, rate=None)),
    }
    for s in started.values():
        s.start()
    yield started
    for s in started.values():
        s.server.should_exit = True
    for s in started.values():
        s.thread.join(timeout=5)


def _client(servers, market, secret=None, timeout=2.0):
    kw = dict(timeout=timeout, retry=RetryPolicy(max_attempts=3, backoff_base=0.01),
              rate=1000, burst=1000, seller=SANDBOX_SELLER)
    url = servers[market].url
    if market == "smartstore":
        return SmartStoreClient("cid", secret or NAVER_SECRET, url, **kw)
    if market == "coupang":
        return CoupangClient("AK", secret or COUPANG_SECRET, "A00000001", url, **kw)
    return EsmClient("master", secret or ESM_SECRET, "G:gm", url, search_per_minute=6000, **kw)


def _assert_clean(text: str, tokens: list[str]) -> None:
    for s in SECRETS + tokens:
        assert s not in text, f"secret leaked: {s[:6]}..."
    assert BCRYPT_B64_PREFIX not in text


@pytest.mark.parametrize("market", ["smartstore", "coupang", "gmarket"])
def test_no_secret_in_logs_exceptions_events(servers, market, caplog, capsys, monkeypatch):
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    # a full life with faults: create (lost response), price change, stop
    client = _client(servers, market, timeout=0.3)
    seen.append(repr(client))
    entry = make_entry(make_listing(options=market != "gmarket", market=market))
    import httpx

    httpx.post(servers[market].url + "/__faults",
               json={"429": 1, "retry_after": 0, "500": 1, "drop_create_response": 1,
                     "delay": 0.5})
    outcomes = []
    rec = MemoryRecorder(entry)
    for change in (None, {"price": 14900}, {"state": "deleted"}):
        if change:
            set_listing(entry, dict(entry["listing"], **change))
        outcomes.append(sync_listing(client, market, entry, rec))
        outcomes.append(sync_listing(client, market, entry, rec))

    # wrong credentials: sync outcome, direct exception, CLI output
    bad = _client(servers, market, NAVER_WRONG if market == "smartstore" else WRONG)
    bad_entry = make_entry(make_listing(options=market != "gmarket", market=market))
    outcomes.append(sync_listing(bad, market, bad_entry, MemoryRecorder(bad_entry)))
    assert not outcomes[-1].ok and outcomes[-1].error["status"] == 401
    with pytest.raises(MarketError) as ei:
        bad.ping()
    seen += [str(ei.value), repr(ei.value), json.dumps(ei.value.to_dict(), ensure_ascii=False)]

    env = {"smartstore": {"SMARTSTORE_BASE_URL": servers["smartstore"].url,
                          "SMARTSTORE_CLIENT_ID": "cid", "SMARTSTORE_CLIENT_SECRET": NAVER_WRONG},
           "coupang": {"COUPANG_BASE_URL": servers["coupang"].url, "COUPANG_ACCESS_KEY": "AK",
                       "COUPANG_SECRET_KEY": WRONG, "COUPANG_VENDOR_ID": "A00000001"},
           "gmarket": {"ESM_BASE_URL": servers["gmarket"].url, "ESM_MASTER_ID": "master",
                       "ESM_SECRET_KEY": WRONG, "ESM_SITE_IDS": "G:gm"}}[market]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert dropship_main(["markets", "ping", market]) == 1
    out = capsys.readouterr()
    seen += [out.out, out.err]

    seen += [json.dumps(o.to_dict(), ensure_ascii=False, default=str) for o in outcomes]
    seen += [json.dumps(p, ensure_ascii=False) for p in rec.patches]
    seen += [json.dumps(e, ensure_ascii=False) for e in rec.events]
    seen += [json.dumps(bad_entry, ensure_ascii=False), json.dumps(entry, ensure_ascii=False)]
    seen.append(caplog.text)
    tokens = []
    if market == "smartstore":
        tokens = list(servers["smartstore"].server.config.app.state.sandbox.tokens)
        assert tokens
    _assert_clean("\n".join(seen), tokens)
    # and the life above did what it should, so the check covered real traffic
    assert entry["status"] == "stopped", json.dumps([o.to_dict() for o in outcomes], default=str)
    assert "reconciled" in [e for e, _ in rec.events]
