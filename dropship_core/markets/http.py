"""Marketplace semantics on top of the one HTTP layer (`dropship_core.http`).

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

import logging
import time
from typing import Any, Callable

import httpx

from dropship_core.http import (CallCounter, RetriesExhausted, Retryable, RetryPolicy, TokenBucket,
                                make_client, response_body)
from dropship_core.markets.errors import MarketError, MarketRateLimited, OutcomeUnknown

log = logging.getLogger("dropship.markets.http")

# 503 and 429 mean "not processed"; other 5xx and timeouts on a create are ambiguous.
SAFE_TO_RETRY_NON_IDEMPOTENT = {429, 503}


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
        self.bucket = TokenBucket(rate, burst, sleep=sleep, service=market)
        self.retry = retry or RetryPolicy()
        self.parse_error = parse_error or default_parse_error
        self.is_retryable = is_retryable or (lambda r: True)
        self.sleep = sleep
        self.calls = CallCounter()
        self.client = make_client(timeout, transport, connect_timeout_s=connect_timeout,
                                  headers=default_headers, service=market)
        self.timeout = self.client.timeout

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

        def attempt(_n: int) -> httpx.Response:
            self.bucket.acquire()
            hdrs = dict(headers or {})
            if sign is not None:
                hdrs.update(sign(method.upper(), path, query))
            try:
                resp = self.client.request(method, url, json=json, data=data, files=files,
                                           headers=hdrs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                raise self._transport_failure(exc, method, path, route, idempotent) from None
            return self._check(resp, method, path, route, idempotent, ok_statuses)

        def on_retry(n: int, wait: float, exc: Retryable) -> None:
            log.info("%s %s %s -> %s, retry %d in %.2fs", self.market, method, route,
                     getattr(exc.error, "status", None), n + 1, wait)
            self.calls.retries += 1
            self.calls.slept += wait

        try:
            return self.retry.run(attempt, sleep=self.sleep, on_retry=on_retry, service=self.market)
        except RetriesExhausted as gave_up:
            last = gave_up.last.error
            assert isinstance(last, MarketError)
            if last.status == 429:
                raise MarketRateLimited(self.market, last.message, status=429, code=last.code,
                                        response=last.response, method=method, path=path,
                                        trace_id=last.trace_id, retryable=True) from None
            raise last from None

    def _transport_failure(self, exc: Exception, method: str, path: str, route: str,
                           idempotent: bool) -> Exception:
        kind = type(exc).__name__
        self.calls.add(route, kind)
        err_cls = MarketError if idempotent else OutcomeUnknown
        msg = (f"{kind} after {self.timeout.read}s" if isinstance(exc, httpx.TimeoutException)
               else f"{kind}: transport failed")
        err = err_cls(self.market, msg, method=method, path=path, retryable=True)
        if not idempotent and not isinstance(exc, httpx.ConnectError):
            return err       # the server may have applied it: reconcile, do not resend
        return Retryable(msg, error=err)

    def _check(self, resp: httpx.Response, method: str, path: str, route: str, idempotent: bool,
               ok_statuses: tuple[int, ...]) -> httpx.Response:
        status = resp.status_code
        self.calls.add(route, str(status))
        trace = resp.headers.get("GNCP-GW-Trace-ID") or resp.headers.get("x-trace-id")
        if status < 400 or status in ok_statuses:
            return resp
        err = self.parse_error(resp, method, path)
        err.trace_id = err.trace_id or trace
        transient = (status == 429 or status >= 500) and self.is_retryable(resp)
        if transient and not idempotent and status not in SAFE_TO_RETRY_NON_IDEMPOTENT:
            raise OutcomeUnknown(self.market, err.message, status=status, code=err.code,
                                 response=err.response, method=method, path=path,
                                 trace_id=err.trace_id, retryable=True)
        err.retryable = transient
        if not transient:
            raise err
        raise Retryable(err.message, resp.headers.get("Retry-After"), error=err)


def default_parse_error(resp: httpx.Response, method: str, path: str) -> MarketError:
    body = response_body(resp)
    message = body.get("message") if isinstance(body, dict) else str(body)[:300]
    code = body.get("code") if isinstance(body, dict) else None
    return MarketError("market", message or resp.reason_phrase, status=resp.status_code,
                       code=code, response=body, method=method, path=path)
