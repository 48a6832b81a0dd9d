"""Faults on the wire: 429 with and without Retry-After, 5xx, timeouts, lost create responses,
server-side rate limits. Every listing ends up on the marketplace exactly once and the events say
what happened."""

from __future__ import annotations

import email.utils
import time

import pytest

from dropship_core.http import RetryPolicy, TokenBucket, parse_retry_after
from dropship_core.markets.sync import summarize, sync_listing, sync_many
from markets_testkit import (MemoryRecorder, PgRecorder, Sleeper, insert_product, make_entry,
                         make_listing, set_listing)

MARKETS = ("smartstore", "coupang", "gmarket")


def _listing(market, **over):
    return make_listing(options=market != "gmarket", market=market, **over)


def _client(sb, market, **kw):
    extra = {"search_per_minute": 6000} if market == "gmarket" else {}
    c = sb.client(market, **extra, **kw)
    if market == "smartstore":
        c.get_token()       # faults below are meant for product calls, not the token call
    return c


def test_token_bucket_paces():
    bucket = TokenBucket(rate=20, burst=1)
    t0 = time.monotonic()
    for _ in range(6):
        bucket.acquire()
    assert time.monotonic() - t0 >= 0.24


def test_esm_search_is_paced_at_30_per_minute():
    from dropship_core.markets.esm import EsmClient

    c = EsmClient("m", "k" * 32, "G:x", "http://127.0.0.1:9")
    assert c.search_bucket.rate == 0.5 and c.search_bucket.burst == 1.0
    assert c.search_bucket.acquire() == 0.0
    c.close()


def test_retry_after_parsing():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after(later) <= 31


@pytest.mark.parametrize("market", MARKETS)
def test_429_with_retry_after_is_honoured(make_sandboxes, market):
    sb = make_sandboxes(only=(market,))
    sleeper = Sleeper()
    client = _client(sb, market, sleep=sleeper)
    sb.faults(market, {"429": 1, "retry_after": 1})
    entry = make_entry(_listing(market))
    rec = MemoryRecorder(entry)
    out = sync_listing(client, market, entry, rec)
    assert out.ok and rec.types() == ["published"], out
    assert client.http.calls.by_status["429"] == 1
    assert 1.0 in sleeper.calls                       # waited what the server asked
    assert sb.copies(market, entry["listing"]["seller_code"]) == 1


@pytest.mark.parametrize("market", MARKETS)
def test_429_without_retry_after_and_5xx_back_off(make_sandboxes, market):
    sb = make_sandboxes(only=(market,))
    sleeper = Sleeper()
    client = _client(sb, market, sleep=sleeper)
    sb.faults(market, {"429_no_retry_after": 2, "5xx": 1})
    entry = make_entry(_listing(market))
    rec = MemoryRecorder(entry)
    out = sync_listing(client, market, entry, rec)
    assert out.ok and rec.types() == ["published"], out
    assert client.http.calls.by_status["429"] == 2 and client.http.calls.by_status["503"] == 1
    assert len(sleeper.calls) == 3 and all(0 <= s <= 0.2 for s in sleeper.calls)
    assert sb.copies(market, entry["listing"]["seller_code"]) == 1


@pytest.mark.parametrize("market", MARKETS)
def test_dropped_create_response_is_reconciled_not_duplicated(make_sandboxes, market):
    sb = make_sandboxes(only=(market,))
    client = _client(sb, market, timeout=0.3)
    sb.faults(market, {"drop_create_response": 1, "delay": 0.8})
    entry = make_entry(_listing(market))
    rec = MemoryRecorder(entry)
    out = sync_listing(client, market, entry, rec)
    assert out.ok and out.action == "reconcile", out
    assert rec.types() == ["reconciled", "published"]
    assert entry["status"] == "published" and entry["last_error"] is None
    assert sb.copies(market, entry["listing"]["seller_code"]) == 1
    # the reconciled product is then managed like any other: a price change updates it
    set_listing(entry, dict(entry["listing"], price=14900))
    out = sync_listing(client, market, entry, MemoryRecorder(entry))
    assert out.ok and out.action == "offer"
    assert sb.copies(market, entry["listing"]["seller_code"]) == 1


@pytest.mark.parametrize("market", MARKETS)
def test_create_timeout_on_a_slow_server_is_reconciled_next_run(make_sandboxes, market):
    """The gateway times out but the marketplace creates the product later: the first run cannot
    see it yet and keeps the in-flight marker; the next run finds it by seller code."""
    sb = make_sandboxes(only=(market,))
    client = _client(sb, market, timeout=0.3)
    sb.faults(market, {"timeout": 1, "delay": 0.7})
    entry = make_entry(_listing(market))
    rec = MemoryRecorder(entry)
    out = sync_listing(client, market, entry, rec)
    assert not out.ok and rec.types() == ["publish_failed"], out
    assert entry["status"] == "publishing" and entry["last_error"]["outcome_unknown"] is True
    assert entry["last_error"]["retryable"] is True
    time.sleep(0.8)
    rec = MemoryRecorder(entry)
    out = sync_listing(client, market, entry, rec)
    assert out.ok and out.action == "reconcile", out
    assert rec.types() == ["reconciled", "published"]
    assert sb.copies(market, entry["listing"]["seller_code"]) == 1


@pytest.mark.parametrize("market", MARKETS)
def test_create_500_not_applied_is_created_once_next_run(make_sandboxes, market):
    sb = make_sandboxes(only=(market,))
    client = _client(sb, market)
    sb.faults(market, {"500": 1})
    entry = make_entry(_listing(market))
    rec = MemoryRecorder(entry)
    out = sync_listing(client, market, entry, rec)
    assert not out.ok and entry["status"] == "publishing"
    rec = MemoryRecorder(entry)
    out = sync_listing(client, market, entry, rec)
    assert out.ok and out.action == "create" and rec.types() == ["published"], out
    assert sb.copies(market, entry["listing"]["seller_code"]) == 1


@pytest.mark.parametrize("market", MARKETS)
def test_timeouts_on_updates_are_retried(make_sandboxes, market):
    sb = make_sandboxes(only=(market,))
    client = _client(sb, market, timeout=0.3)
    entry = make_entry(_listing(market))
    assert sync_listing(client, market, entry, MemoryRecorder(entry)).ok
    sb.faults(market, {"timeout": 1, "delay": 0.5})
    set_listing(entry, dict(entry["listing"], title="스테인리스 텀블러 새 이름"))
    rec = MemoryRecorder(entry)
    out = sync_listing(client, market, entry, rec)
    assert out.ok and rec.types() == ["updated"], out
    assert client.http.calls.by_status["ReadTimeout"] == 1
    assert sb.copies(market, entry["listing"]["seller_code"]) == 1


@pytest.mark.parametrize("market", MARKETS)
def test_retries_are_bounded_and_failure_is_an_outcome(make_sandboxes, market):
    sb = make_sandboxes(only=(market,))
    client = _client(sb, market, retry=RetryPolicy(max_attempts=3, backoff_base=0.01))
    entry = make_entry(_listing(market))
    assert sync_listing(client, market, entry, MemoryRecorder(entry)).ok
    sb.faults(market, {"5xx": 10})
    set_listing(entry, dict(entry["listing"], price=14900))
    rec = MemoryRecorder(entry)
    calls0 = sb.calls(market)["total"]
    out = sync_listing(client, market, entry, rec)
    assert not out.ok and out.error["retryable"] is True and out.error["status"] == 503
    assert sb.calls(market)["total"] - calls0 == 3
    assert rec.types() == ["publish_failed"]
    assert entry["status"] == "published"            # still live with the previous version
    assert entry["published_hash"] != entry["listing_hash"]
    sb.faults(market, {"clear": 1})
    rec = MemoryRecorder(entry)
    out = sync_listing(client, market, entry, rec)
    assert out.ok and rec.types() == ["price_changed"], out


def test_server_rate_limit_is_retried_and_pacing_avoids_it(make_sandboxes):
    sb = make_sandboxes(smartstore_rate=6.0)
    sleeper = Sleeper()
    greedy = sb.client("smartstore", sleep=sleeper, rate=1000,
                       retry=RetryPolicy(max_attempts=10, backoff_base=0.05, backoff_max=0.5))
    for _ in range(6):
        greedy.search_by_seller_code("x")
    assert greedy.http.calls.by_status["429"] >= 1        # the sandbox throttled it...
    assert greedy.http.calls.by_status["200"] == 7        # ...and every call got through
    time.sleep(0.7)
    paced = sb.client("smartstore", rate=5.0)
    paced.http.bucket.set_rate(5.0, 1.0)
    for _ in range(4):
        paced.search_by_seller_code("x")
    assert paced.http.calls.by_status.get("429", 0) == 0


def test_naver_rate_headers_lower_our_pace(make_sandboxes):
    sb = make_sandboxes(smartstore_rate=50.0)
    client = sb.client("smartstore", rate=1000)
    client.search_by_seller_code("x")
    assert client.http.bucket.rate == 50.0


@pytest.mark.parametrize("market", MARKETS)
def test_batch_with_faults_into_postgres_exactly_once(make_sandboxes, pg, market):
    """Six products, mixed faults, two sync passes written to the real store: every product is
    on the marketplace exactly once, the event log says how, and a third pass makes no calls."""
    sb = make_sandboxes(only=(market,))
    client = _client(sb, market, timeout=0.3)
    listings = [_listing(market, seller_code=f"excel-acme:B{i}") for i in range(6)]
    ids = [insert_product(pg, market, listing) for listing in listings]

    def entries():
        return [(pid, PgRecorder(pg, market, pid).entry()) for pid in ids]

    def record_for(pid):
        return PgRecorder(pg, market, pid)

    sb.faults(market, {"429": 1, "retry_after": 0, "5xx": 1, "drop_create_response": 1,
                       "delay": 0.6})
    first = sync_many(client, market, entries(), record_for)
    assert all(o.ok for o in first), [o for o in first if not o.ok]
    summary = summarize(first)
    assert (summary["created"], summary["reconciled"], summary["failed"]) == (5, 1, 0)
    assert summary["api_calls"] == sum(o.calls for o in first) > 6
    second = sync_many(client, market, entries(), record_for)
    assert all(o.ok and o.action == "none" and o.calls == 0 for o in second)
    assert summarize(second)["unchanged"] == 6 and summarize(second)["api_calls"] == 0
    for listing in listings:
        assert sb.copies(market, listing["seller_code"]) == 1
    rows = pg.execute("SELECT product_id, event_type FROM source_data_events "
                      "ORDER BY id").fetchall()
    per_product = {pid: [e for p, e in rows if p == pid] for pid in ids}
    reconciled = [pid for pid, ev in per_product.items() if ev == ["reconciled", "published"]]
    created = [pid for pid, ev in per_product.items() if ev == ["published"]]
    assert len(reconciled) == 1 and len(created) == 5, per_product
    statuses = pg.execute("SELECT market_data->%s->>'status' FROM source_data",
                          (market,)).fetchall()
    assert {s for (s,) in statuses} == {"published"}
