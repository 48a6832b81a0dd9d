"""Fault injection and rate windows shared by the supplier sandboxes (OwnerClan, Domeggook).

`POST /__faults` arms counted faults that the next API requests consume, so a client's retry and
resume paths can be exercised on demand."""

from __future__ import annotations

import threading

FAULT_KINDS = ("http_429", "http_502", "timeout", "malformed", "graphql_error", "supplier_error")


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {k: 0 for k in FAULT_KINDS}
        self.retry_after: float | None = 1
        self.timeout_s: float = 2.0
        self.fired: dict[str, int] = {k: 0 for k in FAULT_KINDS}

    def arm(self, spec: dict) -> dict:
        with self._lock:
            for k in FAULT_KINDS:
                if k in spec:
                    self.counts[k] = max(0, int(spec[k]))
            if "retry_after" in spec:
                self.retry_after = None if spec["retry_after"] is None else float(spec["retry_after"])
            if "timeout_s" in spec:
                self.timeout_s = float(spec["timeout_s"])
            return self.snapshot()

    def take(self) -> str | None:
        """The next armed fault, consumed, in a fixed order; None when nothing is armed."""
        with self._lock:
            for k in FAULT_KINDS:
                if self.counts[k] > 0:
                    self.counts[k] -= 1
                    self.fired[k] += 1
                    return k
        return None

    def snapshot(self) -> dict:
        return {"armed": dict(self.counts), "fired": dict(self.fired), "retry_after": self.retry_after,
                "timeout_s": self.timeout_s}


class RateWindow:
    """Requests in the last `window_s` seconds per client; a sliding window."""

    def __init__(self, limit_per_window: int, window_s: float = 60.0) -> None:
        self.limit = limit_per_window
        self.window_s = window_s
        self._hits: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def hit(self, client: str, now: float) -> bool:
        """Record a request; False when it goes over the limit."""
        with self._lock:
            hits = [t for t in self._hits.get(client, []) if now - t < self.window_s]
            hits.append(now)
            self._hits[client] = hits
            return self.limit <= 0 or len(hits) <= self.limit
