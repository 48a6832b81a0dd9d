"""The one HTTP layer every remote client uses (suppliers and marketplaces).

- `RetryPolicy`: bounded attempts with exponential backoff (full jitter by default) on whatever
  the caller classifies as transient (`Retryable`: 429, 5xx, timeouts, ...), honouring a
  server's `Retry-After` (seconds or HTTP-date); a `Retry-After` longer than
  `max_retry_after` is either not waited for (give up) or capped, per policy;
- `TokenBucket`: the one pacing / rate-limit primitive (a minimum interval between calls is a
  bucket of burst 1);
- `redact`: the one way secrets leave a message: known secret values, secret-looking
  environment values, JWTs, URL passwords, signatures and authorization headers;
- `make_client` / `BaseClient`: an `httpx.Client` with explicit timeouts, and the lifecycle
  every API client shares (close, context manager, a repr without secrets);
- `CallCounter`: every attempt counted (total, per route, per status);
- Prometheus metrics (`dropship_core.metrics`): `make_client(service=...)` wraps the transport so
  every attempt is counted by service, endpoint template and status class with its latency;
  `RetryPolicy.run(service=...)` counts retries and their waits, `TokenBucket(service=...)` its
  pacing waits.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import httpx

from dropship_core import metrics as m
from dropship_core.secrets import QUERY_SECRET as _QUERY_SECRET
from dropship_core.secrets import redact, redact_obj  # noqa: F401  (the one redaction helper, re-exported)

log = logging.getLogger("dropship.http")
T = TypeVar("T")


# -- retry ---------------------------------------------------------------------------------

class Retryable(Exception):
    """A transient failure of one attempt. `error` is what the caller raises if retries run
    out (None: the caller builds its own message from this one)."""

    def __init__(self, message: str, retry_after: str | float | None = None,
                 error: BaseException | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.error = error


class RetriesExhausted(Exception):
    def __init__(self, last: Retryable, attempts: int):
        super().__init__(f"gave up after {attempts} attempts: {last}")
        self.last = last
        self.attempts = attempts


def parse_retry_after(value: str | float | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return max(0.0, float(value))
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


@dataclass
class RetryPolicy:
    max_attempts: int = 5           # attempts in all, the first included
    backoff_base: float = 0.5       # seconds; attempt n waits (up to) base * 2**n
    backoff_max: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After: give up (or cap, see below)
    jitter: bool = True             # full jitter; False: exactly base * 2**n
    cap_retry_after: bool = False   # True: wait max_retry_after instead of giving up

    @classmethod
    def exponential(cls, max_retries: int, base_s: float, cap_s: float) -> "RetryPolicy":
        """No jitter: base, 2*base, 4*base ... capped at `cap_s`, which also caps a server's
        Retry-After (waited, not given up on)."""
        return cls(max_attempts=max_retries + 1, backoff_base=base_s, backoff_max=cap_s,
                   max_retry_after=cap_s, jitter=False, cap_retry_after=True)

    def backoff(self, attempt: int) -> float:
        top = min(self.backoff_max, self.backoff_base * (2 ** attempt))
        return random.uniform(0, top) if self.jitter else top

    def delay(self, attempt: int, retry_after: str | float | None = None) -> float | None:
        """The wait before the next attempt; None means do not retry (Retry-After too long)."""
        wait = parse_retry_after(retry_after)
        if wait is None:
            return self.backoff(attempt)
        if wait > self.max_retry_after:
            return self.max_retry_after if self.cap_retry_after else None
        return wait

    def run(self, attempt_fn: Callable[[int], T], *, sleep: Callable[[float], None] = time.sleep,
            on_retry: Callable[[int, float, Retryable], None] | None = None,
            service: str = "other") -> T:
        """Call `attempt_fn(attempt)` until it returns; a `Retryable` is retried after
        `delay()`. Raises `RetriesExhausted` (carrying the last `Retryable`) at the end.
        Retries and their waits are counted for `service` (a supplier kind or market)."""
        last: Retryable | None = None
        attempts = 0
        for attempt in range(max(1, self.max_attempts)):
            attempts = attempt + 1
            try:
                return attempt_fn(attempt)
            except Retryable as exc:
                last = exc
            if attempt + 1 >= self.max_attempts:
                break
            wait = self.delay(attempt, last.retry_after)
            if wait is None:
                break
            m.HTTP_RETRIES.labels(service).inc()
            m.HTTP_WAIT.labels(service, "retry_after" if last.retry_after not in (None, "") else "backoff").inc(wait)
            if on_retry is not None:
                on_retry(attempt, wait, last)
            if wait > 0:
                sleep(wait)
        assert last is not None
        raise RetriesExhausted(last, attempts)


# -- pacing --------------------------------------------------------------------------------

class TokenBucket:
    """Thread-safe token bucket: `rate` tokens per second, at most `burst` banked.

    `TokenBucket.interval(s)` paces to one call every `s` seconds (0: unlimited)."""

    def __init__(self, rate: float, burst: float | None = None, clock=time.monotonic,
                 sleep=time.sleep, service: str | None = None):
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
        self.service = service   # set: pacing waits are counted in the metrics under this name

    @classmethod
    def interval(cls, min_interval_s: float, **kw) -> "TokenBucket":
        s = max(0.0, float(min_interval_s))
        return cls(1.0 / s if s > 0 else math.inf, 1.0, **kw)

    def set_rate(self, rate: float, burst: float | None = None) -> None:
        with self._lock:
            self.rate = float(rate)
            if burst is not None:
                self.burst = float(burst)
                self._tokens = min(self._tokens, self.burst)

    def _take_locked(self) -> bool:
        """Refill from the elapsed time and take one token if there is one (lock held)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def try_acquire(self) -> bool:
        """Take one token if one is banked, without waiting (a server's rate limit)."""
        if math.isinf(self.rate):
            return True
        with self._lock:
            return self._take_locked()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available. Returns the time waited."""
        if math.isinf(self.rate):
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                if self._take_locked():
                    self.waited += waited
                    if waited and self.service:
                        m.HTTP_WAIT.labels(self.service, "pacing").inc(waited)
                    return waited
                need = (1.0 - self._tokens) / self.rate
            self._sleep(need)
            waited += need

    wait = acquire


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


# -- redaction (dropship_core.secrets.redact) ------------------------------------------------

def short(text: str, n: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n] + "…"


class _RedactingFilter(logging.Filter):
    """httpx logs every request URL at INFO; some APIs carry a key in the query (`aid=`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        clean = _QUERY_SECRET.sub(r"\1***", text)
        if clean != text:
            record.msg, record.args = clean, None
        return True


def install_log_redaction() -> None:
    for name in ("httpx", "httpcore"):
        lg = logging.getLogger(name)
        if not any(isinstance(f, _RedactingFilter) for f in lg.filters):
            lg.addFilter(_RedactingFilter())


install_log_redaction()


# -- clients -------------------------------------------------------------------------------

USER_AGENT = "dropship-pipeline/0.1"


class MeasuredTransport(httpx.BaseTransport):
    """Counts every attempt (service, endpoint template, status class) and its latency, and
    429 answers, around whatever transport does the sending."""

    def __init__(self, inner: httpx.BaseTransport, service: str):
        self.inner = inner
        self.service = service

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = m.endpoint_template(request.method, request.url.path)
        start = time.perf_counter()
        try:
            resp = self.inner.handle_request(request)
        except Exception:
            m.HTTP_REQUESTS.labels(self.service, endpoint, "error").inc()
            m.HTTP_LATENCY.labels(self.service, endpoint).observe(time.perf_counter() - start)
            raise
        m.HTTP_LATENCY.labels(self.service, endpoint).observe(time.perf_counter() - start)
        m.HTTP_REQUESTS.labels(self.service, endpoint, m.status_class(resp.status_code)).inc()
        if resp.status_code == 429:
            m.HTTP_THROTTLED.labels(self.service).inc()
        return resp

    def close(self) -> None:
        self.inner.close()


def make_client(timeout_s: float, transport: httpx.BaseTransport | None = None, *,
                connect_timeout_s: float | None = None,
                headers: dict[str, str] | None = None, service: str = "other") -> httpx.Client:
    """An `httpx.Client` with explicit timeouts and no redirects, its calls measured as
    `service` (a supplier kind or a market; never an account or product id)."""
    connect = connect_timeout_s if connect_timeout_s is not None else min(10.0, timeout_s)
    inner = transport if transport is not None else httpx.HTTPTransport()
    return httpx.Client(timeout=httpx.Timeout(timeout_s, connect=connect),
                        transport=MeasuredTransport(inner, service),
                        follow_redirects=False, headers={"User-Agent": USER_AGENT, **(headers or {})})


def response_body(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text[:2000]


class BaseClient:
    """Lifecycle shared by the API clients: `self.http` (anything with `close()` and a
    `base_url`), close / context manager, and a repr naming only non-secret fields."""

    http: Any
    repr_fields: tuple[str, ...] = ()

    def __repr__(self) -> str:
        parts = [f"base_url={getattr(self.http, 'base_url', None)!r}"]
        parts += [f"{f}={getattr(self, f, None)!r}" for f in self.repr_fields]
        return f"{type(self).__name__}({', '.join(parts)})"

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
