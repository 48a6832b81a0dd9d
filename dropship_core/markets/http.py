"""The HTTP layer every marketplace client shares.

- one `httpx.Client` with explicit timeouts;
- request pacing with a token bucket, per client (one client per market and account), so a
  sync never goes over the marketplace's documented rate;
- bounded retries with exponential backoff and full jitter on 429 and 5xx, honouring
  `Retry-After`;
- non-idempotent calls (creates) are NOT retried after a timeout or an ambiguous 5xx: the
  request may have been applied, so the caller gets `OutcomeUnknown` and reconciles by seller
  code instead of creating a duplicate;
- every attempt is counted (total, per route, per status), which is what the marketplace's
  own quota sees.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import httpx

from dropship_core.markets.errors import MarketError, MarketRateLimited, OutcomeUnknown

log = logging.getLogger("dropship.markets.http")

# 503 and 429 mean "not processed"; other 5xx and timeouts on a create are ambiguous.
SAFE_TO_RETRY_NON_IDEMPOTENT = {429, 503}


class TokenBucket:
    """Thread-safe token bucket: `rate` tokens per second, at most `burst` banked."""

    def __init__(self, rate: float, burst: float | None = None, clock=time.monotonic,
                 sleep=time.sleep):
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate))
        self._tokens = self.burst
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def set_rate(self, rate: float, burst: float | None = None) -> None:
        with self._lock:
            self.rate = float(rate)
            if burst is not None:
                self.burst = float(burst)
                self._tokens = min(self._tokens, self.burst)

    def acquire(self) -> float:
        """Take one token, sleeping until one is available. Returns the time waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.waited += waited
                    return waited
                need = (1.0 - self._tokens) / self.rate
            self._sleep(need)
            waited += need


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    backoff_base: float = 0.5       # seconds; attempt n waits up to base * 2**n (full jitter)
    backoff_max: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After is not waited for: we give up instead

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_max, self.backoff_base * (2 ** attempt)))


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class CallCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self.total = 0
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.retries = 0
        self.slept = 0.0

    def add(self, route: str, status: str) -> None:
        with self._lock:
            self.total += 1
            self.by_route[route] += 1
            self.by_status[status] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"total": self.total, "retries": self.retries, "slept": round(self.slept, 3),
                    "by_route": dict(self.by_route), "by_status": dict(self.by_status)}


class MarketHttp:
    """Paced, retrying, counting HTTP for one marketplace account.

    `parse_error(response) -> MarketError` turns an error response into the market's exception;
    `is_retryable(response)` may veto a retry (e.g. Naver's hour-long GW.QUOTA_LIMIT).
    """

    def __init__(self, market: str, base_url: str, *, timeout: float = 30.0,
                 connect_timeout: float = 5.0, rate: float = 2.0, burst: float | None = None,
                 retry: RetryPolicy | None = None,
                 parse_error: Callable[[httpx.Response, str, str], MarketError] | None = None,
                 is_retryable: Callable[[httpx.Response], bool] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None,
                 default_headers: dict[str, str] | None = None):
        self.market = market
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self.bucket = TokenBucket(rate, burst, sleep=sleep)
        self.retry = retry or RetryPolicy()
        self.parse_error = parse_error or default_parse_error
        self.is_retryable = is_retryable or (lambda r: True)
        self.sleep = sleep
        self.calls = CallCounter()
        self.client = httpx.Client(timeout=self.timeout, transport=transport,
                                   headers=default_headers or {}, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.calls.slept += seconds
            self.sleep(seconds)

    def request(self, method: str, path: str, *, query: str = "", json: Any = None,
                data: dict | None = None, files: Any = None, headers: dict | None = None,
                sign: Callable[[str, str, str], dict[str, str]] | None = None,
                route: str | None = None, idempotent: bool | None = None,
                ok_statuses: tuple[int, ...] = ()) -> httpx.Response:
        """Send one logical call; returns the 2xx response or raises a `MarketError`.

        `query` is the exact, already-encoded query string (no '?'), sent byte for byte (Coupang
        signs it). `sign(method, path, query)` returns auth headers and is called per attempt,
        so every retry carries a fresh signature/timestamp.
        """
        if idempotent is None:
            idempotent = method.upper() in ("GET", "PUT", "DELETE", "HEAD")
        route = route or f"{method} {path}"
        url = self.base_url + path + (("?" + query) if query else "")
        last_exc: MarketError | None = None
        for attempt in range(self.retry.max_attempts):
            self.bucket.acquire()
            hdrs = dict(headers or {})
            if sign is not None:
                hdrs.update(sign(method.upper(), path, query))
            try:
                resp = self.client.request(method, url, json=json, data=data, files=files,
                                           headers=hdrs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                kind = type(exc).__name__
                self.calls.add(route, kind)
                err_cls = MarketError if idempotent else OutcomeUnknown
                err = err_cls(self.market, f"{kind} after {self.timeout.read}s" if isinstance(
                    exc, httpx.TimeoutException) else f"{kind}: transport failed",
                    method=method, path=path, retryable=True)
                if not idempotent and not isinstance(exc, httpx.ConnectError):
                    # the server may have applied it: reconcile, do not resend
                    raise err from None
                last_exc = err
                if attempt + 1 < self.retry.max_attempts:
                    self.calls.retries += 1
                    self._wait(self.retry.backoff(attempt))
                continue
            status = resp.status_code
            self.calls.add(route, str(status))
            trace = resp.headers.get("GNCP-GW-Trace-ID") or resp.headers.get("x-trace-id")
            if status < 400 or status in ok_statuses:
                return resp
            err = self.parse_error(resp, method, path)
            err.trace_id = err.trace_id or trace
            transient = status == 429 or status >= 500
            if transient and not self.is_retryable(resp):
                transient = False
            if transient and not idempotent and status not in SAFE_TO_RETRY_NON_IDEMPOTENT:
                raise OutcomeUnknown(self.market, err.message, status=status, code=err.code,
                                     response=err.response, method=method, path=path,
                                     trace_id=err.trace_id, retryable=True)
            if not transient:
                err.retryable = False
                raise err
            err.retryable = True
            last_exc = err
            if attempt + 1 >= self.retry.max_attempts:
                break
            wait = parse_retry_after(resp.headers.get("Retry-After"))
            if wait is not None and wait > self.retry.max_retry_after:
                break
            if wait is None:
                wait = self.retry.backoff(attempt)
            log.info("%s %s %s -> %s, retry %d in %.2fs", self.market, method, route, status,
                     attempt + 1, wait)
            self.calls.retries += 1
            self._wait(wait)
        assert last_exc is not None
        if last_exc.status == 429:
            raise MarketRateLimited(self.market, last_exc.message, status=429, code=last_exc.code,
                                    response=last_exc.response, method=method, path=path,
                                    trace_id=last_exc.trace_id, retryable=True)
        raise last_exc


def response_body(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        text = resp.text
        return text[:2000]


def default_parse_error(resp: httpx.Response, method: str, path: str) -> MarketError:
    body = response_body(resp)
    message = body.get("message") if isinstance(body, dict) else str(body)[:300]
    code = body.get("code") if isinstance(body, dict) else None
    return MarketError("market", message or resp.reason_phrase, status=resp.status_code,
                       code=code, response=body, method=method, path=path)
