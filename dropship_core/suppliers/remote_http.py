"""Shared plumbing for the remote supplier connectors: request pacing, bounded backoff that
honours Retry-After, and scrubbing secrets out of anything that may reach a log or exception."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

import httpx


class Pacer:
    """At most one request every `min_interval_s` seconds (150 rpm = 0.4 s)."""

    def __init__(self, min_interval_s: float) -> None:
        self.min_interval_s = max(0.0, float(min_interval_s))
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if self.min_interval_s <= 0:
            return
        with self._lock:
            now = time.monotonic()
            if self._next > now:
                time.sleep(self._next - now)
                now = self._next
            self._next = now + self.min_interval_s


@dataclass
class RetryPolicy:
    max_retries: int = 5          # extra attempts after the first, per request
    backoff_base_s: float = 1.0   # 1, 2, 4, ... capped at max_backoff_s
    max_backoff_s: float = 60.0   # also caps a server's Retry-After

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(max(0.0, float(retry_after)), self.max_backoff_s)
            except ValueError:
                pass  # an HTTP-date Retry-After: fall back to exponential backoff
        return min(self.backoff_base_s * (2 ** attempt), self.max_backoff_s)


def redact(text: str, secrets: list[str | None]) -> str:
    """Replace every secret (and every JWT-looking string) in `text` with ***."""
    for s in secrets:
        if s and len(s) >= 3:
            text = text.replace(s, "***")
    return re.sub(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+", "***", text)


def short(text: str, n: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def make_client(timeout_s: float, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
                        transport=transport, follow_redirects=False,
                        headers={"User-Agent": "dropship-pipeline/0.1 (+supplier sync)"})


_QUERY_SECRET = re.compile(r"((?:aid|api_?key|apikey|token|password|secret)=)[^&\s\"']+", re.IGNORECASE)


class _RedactQuerySecrets(logging.Filter):
    """httpx logs every request URL at INFO; Domeggook's API key travels in the query (`aid=`)."""

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
        if not any(isinstance(f, _RedactQuerySecrets) for f in lg.filters):
            lg.addFilter(_RedactQuerySecrets())


install_log_redaction()
