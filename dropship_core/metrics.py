"""Prometheus metrics recorded where the work happens, with `prometheus_client`.

Every process (a Dagster run's step, the CLI, `dropship serve`) records into `LOCAL`, a
process-local `CollectorRegistry`. Dagster runs are separate, short-lived processes, so their
numbers reach the long-running `/metrics` endpoint through the store: `flush(store)` adds what
changed since the last flush to the `metric_totals` table (one row per metric and label set,
`value = value + delta`), and the endpoint's collector (`dropship_core.metrics_collector`) reads
those totals back as counters and histograms, next to gauges derived from the store itself.

Labels are bounded: a service (supplier kind or market), an endpoint template, a status class, a
market, an outcome or a reason from a short fixed list. No product ids, no supplier keys.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

log = logging.getLogger("dropship.metrics")

LOCAL = CollectorRegistry(auto_describe=True)


@dataclass(frozen=True)
class Spec:
    name: str            # family name (a counter's without `_total`)
    kind: str            # counter | histogram | gauge_max
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()


SPECS: dict[str, Spec] = {}


def _counter(name: str, help_: str, labels: tuple[str, ...] = ()) -> Counter:
    SPECS[name] = Spec(name, "counter", help_, labels)
    return Counter(name, help_, labels, registry=LOCAL)


def _histogram(name: str, help_: str, labels: tuple[str, ...], buckets: tuple[float, ...]) -> Histogram:
    SPECS[name] = Spec(name, "histogram", help_, labels, buckets)
    return Histogram(name, help_, labels, buckets=buckets, registry=LOCAL)


def _gauge_max(name: str, help_: str, labels: tuple[str, ...]) -> Gauge:
    """A gauge whose stored value only moves up (a last-success timestamp)."""
    SPECS[name] = Spec(name, "gauge_max", help_, labels)
    return Gauge(name, help_, labels, registry=LOCAL)


LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# -- the shared HTTP layer ---------------------------------------------------------------------
HTTP_REQUESTS = _counter("dropship_http_requests", "Outbound API attempts by service, endpoint and status class.",
                         ("service", "endpoint", "status_class"))
HTTP_LATENCY = _histogram("dropship_http_request_duration_seconds", "Outbound API attempt latency.",
                          ("service", "endpoint"), LATENCY_BUCKETS)
HTTP_RETRIES = _counter("dropship_http_retries", "Outbound attempts retried after a transient failure.",
                        ("service",))
HTTP_THROTTLED = _counter("dropship_http_throttled", "Outbound attempts answered 429 (rate limited).",
                          ("service",))
HTTP_WAIT = _counter("dropship_http_wait_seconds",
                     "Seconds spent waiting before calls: client pacing, backoff and Retry-After.",
                     ("service", "kind"))
# -- ingest --------------------------------------------------------------------------------------
INGEST_ROWS = _counter("dropship_ingest_rows", "Supplier rows ingested by outcome.", ("outcome",))
INGEST_REJECTS = _counter("dropship_ingest_rejects", "Supplier rows quarantined with a reason.")
INGEST_SECONDS = _histogram("dropship_ingest_seconds", "Seconds per ingest batch.", (),
                            (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0))
# -- listings and sync ------------------------------------------------------------------------
SYNC_PRODUCTS = _counter("dropship_sync_products", "Listings handled by market_sync, by market and action.",
                         ("market", "action"))
SYNC_CALLS = _counter("dropship_sync_calls", "API calls spent on listings that changed, by market.", ("market",))
SYNC_CALLS_PER_PRODUCT = _histogram("dropship_sync_calls_per_changed_product",
                                    "API calls per changed listing.", ("market",),
                                    (0, 1, 2, 3, 4, 6, 10, 20))
SYNC_FAILURES = _counter("dropship_sync_failures", "Listing syncs that failed, by market and reason.",
                         ("market", "reason"))
SYNC_LAST_SUCCESS = _gauge_max("dropship_market_sync_last_success_timestamp_seconds",
                               "Unix time a market_sync partition of this market last finished.", ("market",))
# -- webhooks ----------------------------------------------------------------------------------
WEBHOOK_ACCEPTED = _counter("dropship_webhook_accepted", "Supplier pushes accepted (duplicate: a redelivery).",
                            ("duplicate",))
WEBHOOK_REFUSED = _counter("dropship_webhook_refused", "Supplier pushes refused, by reason.", ("reason",))
# -- LLM ---------------------------------------------------------------------------------------
LLM_TOKENS = _counter("dropship_llm_tokens", "LLM tokens paid for, by model and direction.", ("model", "direction"))
LLM_COST = _counter("dropship_llm_cost_usd", "LLM spend in USD, by model.", ("model",))
LLM_REQUESTS = _counter("dropship_llm_requests", "LLM requests answered, by model.", ("model",))
LLM_CACHE = _counter("dropship_llm_cache_lookups", "LLM answer cache lookups, by result (hit | miss).",
                     ("result",))

WEBHOOK_REFUSAL_REASONS = ("unknown_supplier", "too_large", "unauthorized", "malformed", "inbox_unavailable",
                           "other")
SYNC_FAILURE_REASONS = ("blocked", "rejected", "rate_limited", "server_error", "outcome_unknown", "transport",
                        "other")

# -- label helpers -----------------------------------------------------------------------------
_ID_SEGMENT = re.compile(r"^(?=.*\d)[A-Za-z0-9_.:-]+$|^[0-9a-fA-F-]{16,}$")


def endpoint_template(method: str, path: str) -> str:
    """`GET /v2/products/12345/items` -> `GET /v2/products/{id}/items`: any path segment with a
    digit (ids, codes, dates) becomes `{id}`, so the label set stays bounded. API versions
    (`v1`, `v2`) are kept."""
    segs = []
    for seg in path.split("?", 1)[0].split("/"):
        if seg and _ID_SEGMENT.match(seg) and not re.fullmatch(r"v\d+(\.\d+)?", seg):
            segs.append("{id}")
        else:
            segs.append(seg[:40])
    return f"{method.upper()} {'/'.join(segs)[:120] or '/'}"


def status_class(status: int | str) -> str:
    if isinstance(status, int) or (isinstance(status, str) and status.isdigit()):
        return f"{str(status)[0]}xx"
    return "error"   # transport failure: timeout, connection refused, ...


def sync_failure_reason(error: dict | None, action: str) -> str:
    if action == "blocked":
        return "blocked"
    error = error or {}
    if error.get("outcome_unknown"):
        return "outcome_unknown"
    status = error.get("status")
    if status == 429:
        return "rate_limited"
    if isinstance(status, int) and status >= 500:
        return "server_error"
    if isinstance(status, int) and status >= 400:
        return "rejected"
    if "transport" in str(error.get("message", "")).lower() or "timeout" in str(error.get("message", "")).lower():
        return "transport"
    return "other"


# -- recording helpers (what the modules doing the work call) ----------------------------------
def record_sync_outcome(market: str, action: str, ok: bool, calls: int, error: dict | None) -> None:
    SYNC_PRODUCTS.labels(market, action).inc()
    if action != "none":
        SYNC_CALLS.labels(market).inc(calls)
        SYNC_CALLS_PER_PRODUCT.labels(market).observe(calls)
    if not ok:
        SYNC_FAILURES.labels(market, sync_failure_reason(error, action)).inc()


def record_sync_finished(market: str, when: float | None = None) -> None:
    SYNC_LAST_SUCCESS.labels(market).set(when if when is not None else time.time())


def record_llm_call(model: str, input_tokens: int, output_tokens: int, cost_usd: float) -> None:
    model = (model or "unknown")[:60]
    LLM_REQUESTS.labels(model).inc()
    LLM_TOKENS.labels(model, "input").inc(max(0, input_tokens))
    LLM_TOKENS.labels(model, "output").inc(max(0, output_tokens))
    LLM_COST.labels(model).inc(max(0.0, cost_usd))


# -- flushing to the store ---------------------------------------------------------------------
_flushed: dict[tuple[str, str], float] = {}
_flush_lock = threading.Lock()


def _label_key(labels: dict[str, str]) -> str:
    import json

    return json.dumps(labels, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def pending_deltas() -> list[tuple[str, str, str, float]]:
    """(sample name, labels JSON, kind, delta) recorded here since the last successful flush.
    kind is `add` (counters, histogram buckets/count/sum) or `max` (last-success timestamps)."""
    out = []
    for family in LOCAL.collect():
        spec = SPECS.get(family.name)
        if spec is None:
            continue
        for s in family.samples:
            if s.name.endswith("_created"):
                continue
            key = (s.name, _label_key(s.labels))
            if spec.kind == "gauge_max":
                if s.value != _flushed.get(key):
                    out.append((s.name, key[1], "max", float(s.value)))
                continue
            delta = float(s.value) - _flushed.get(key, 0.0)
            if delta != 0:
                out.append((s.name, key[1], "add", delta))
    return out


def flush(store: Any) -> int:
    """Add this process's new samples to the store's totals; returns how many rows changed.
    Never raises: metrics must not fail a run (the deltas stay pending for the next flush)."""
    with _flush_lock:
        deltas = pending_deltas()
        if not deltas:
            return 0
        try:
            store.add_metric_deltas(deltas)
        except Exception as e:  # noqa: BLE001 - a metrics write never breaks the work it measures
            log.warning("metrics not flushed (%s); kept for the next flush", type(e).__name__)
            return 0
        for name, labels, kind, value in deltas:
            key = (name, labels)
            _flushed[key] = value if kind == "max" else _flushed.get(key, 0.0) + value
        return len(deltas)


def discard_pending() -> None:
    """Forget what this process measured and has not flushed (it belonged to another store:
    a process that switches stores, e.g. a test starting on a fresh schema)."""
    with _flush_lock:
        for name, labels, kind, value in pending_deltas():
            key = (name, labels)
            _flushed[key] = value if kind == "max" else _flushed.get(key, 0.0) + value
