"""The one HTTP layer: retry policy, pacing and redaction shared by suppliers and markets."""

from __future__ import annotations

import time

import pytest

from dropship_core.http import (RetriesExhausted, Retryable, RetryPolicy, TokenBucket,
                                parse_retry_after, redact)


def test_retry_policy_retries_transient_then_returns():
    slept: list[float] = []
    calls = []

    def attempt(n):
        calls.append(n)
        if n < 2:
            raise Retryable("HTTP 503", retry_after="0.25" if n == 0 else None)
        return "ok"

    policy = RetryPolicy(max_attempts=5, backoff_base=0.1, jitter=False)
    assert policy.run(attempt, sleep=slept.append) == "ok"
    assert calls == [0, 1, 2]
    assert slept == [0.25, 0.2]          # Retry-After honoured, then base * 2**1


def test_retry_policy_gives_up_on_long_retry_after_unless_capped():
    def attempt(n):
        raise Retryable("HTTP 429", retry_after="3600")

    slept: list[float] = []
    with pytest.raises(RetriesExhausted) as ei:
        RetryPolicy(max_attempts=4, max_retry_after=60).run(attempt, sleep=slept.append)
    assert ei.value.attempts == 1 and slept == []
    capped = RetryPolicy.exponential(2, 1.0, 5.0)
    with pytest.raises(RetriesExhausted) as ei:
        capped.run(attempt, sleep=slept.append)
    assert ei.value.attempts == 3 and slept == [5.0, 5.0]


def test_retry_policy_does_not_swallow_permanent_errors():
    def attempt(n):
        raise ValueError("HTTP 400")

    with pytest.raises(ValueError):
        RetryPolicy().run(attempt, sleep=lambda s: None)


def test_exponential_backoff_without_jitter_is_capped():
    p = RetryPolicy.exponential(10, 1.0, 60.0)
    assert [p.delay(a) for a in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert p.delay(0, "Wed, 21 Oct 2015 07:28:00 GMT") == 0.0   # a date in the past


def test_parse_retry_after_forms():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= parse_retry_after(future) <= 31


def test_token_bucket_paces_and_refuses():
    b = TokenBucket(rate=20, burst=1)
    t0 = time.monotonic()
    for _ in range(5):
        b.acquire()
    assert time.monotonic() - t0 >= 0.18
    server = TokenBucket(rate=1, burst=2)
    assert [server.try_acquire() for _ in range(3)] == [True, True, False]
    free = TokenBucket.interval(0)
    assert all(free.acquire() == 0.0 for _ in range(100))
    paced = TokenBucket.interval(0.05)
    t0 = time.monotonic()
    for _ in range(3):
        paced.wait()
    assert time.monotonic() - t0 >= 0.09


def test_redact_covers_secrets_headers_signatures_and_env():
    env = {"COUPANG_SECRET_KEY": "s3cr3t-value-xyz", "PATH": "/usr/bin"}
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWxsIn0.c2lnbmF0dXJlLXZhbHVl"
    text = (f"POST /x failed: Authorization: CEA algorithm=HmacSHA256, access-key=AK, "
            f"signed-date=260101T000000Z, signature=abcdef0123 token={jwt} "
            f"body client_secret_sign=JDJhJDEw pass=hunter22 key=s3cr3t-value-xyz "
            f"url=postgresql://u:pw@h/db /usr/bin")
    out = redact(text, ["hunter22"], environ=env)
    for leaked in ("abcdef0123", jwt, "JDJhJDEw", "hunter22", "s3cr3t-value-xyz", ":pw@",
                   "access-key=AK"):
        assert leaked not in out, leaked
    assert "/usr/bin" in out and "POST /x failed" in out
    assert redact('{"authorization": "Bearer tok123", "ok": 1}') == \
        '{"authorization": "***", "ok": 1}'
