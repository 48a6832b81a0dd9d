"""What `GET /metrics` answers: the totals every process flushed to the store, as counters and
histograms, plus gauges derived from the store's tables (sync lag, inbox depth, pending agent
decisions, ...), exposed with `prometheus_client`.

A scrape never blocks the receiver's event loop: the store is read in a worker thread, at most
once per `cache_s` seconds (concurrent scrapes share one refresh), and a scrape within the cache
window is answered from memory. If the store cannot be read, the last snapshot is served with
`dropship_metrics_store_up 0`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
import time
from collections import defaultdict
from typing import Any, Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from dropship_core import config
from dropship_core import metrics as m

log = logging.getLogger("dropship.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_KRW_PER_USD = 1400.0


def _total_families(totals: list[tuple[str, dict[str, str], float]]) -> list[Metric]:
    by_name: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for name, labels, value in totals:
        by_name[name].append((labels, value))
    out: list[Metric] = []
    for spec in m.SPECS.values():
        if spec.kind == "counter":
            fam = CounterMetricFamily(spec.name, spec.help, labels=list(spec.labels))
            for labels, v in by_name.get(spec.name + "_total", []):
                fam.add_metric([labels.get(k, "") for k in spec.labels], v)
        elif spec.kind == "gauge_max":
            fam = GaugeMetricFamily(spec.name, spec.help, labels=list(spec.labels))
            for labels, v in by_name.get(spec.name, []):
                fam.add_metric([labels.get(k, "") for k in spec.labels], v)
        else:
            fam = _histogram_family(spec, by_name)
        out.append(fam)
    return out


def _histogram_family(spec: m.Spec, by_name: dict[str, list[tuple[dict[str, str], float]]]) -> Metric:
    fam = HistogramMetricFamily(spec.name, spec.help, labels=list(spec.labels))
    series: dict[tuple[str, ...], dict[str, Any]] = defaultdict(lambda: {"buckets": {}, "sum": 0.0})
    for labels, v in by_name.get(spec.name + "_bucket", []):
        key = tuple(labels.get(k, "") for k in spec.labels)
        series[key]["buckets"][labels.get("le", "+Inf")] = v
    for labels, v in by_name.get(spec.name + "_sum", []):
        series[tuple(labels.get(k, "") for k in spec.labels)]["sum"] = v
    for key, s in sorted(series.items()):
        if not s["buckets"]:
            continue
        buckets = sorted(s["buckets"].items(), key=lambda kv: float(kv[0]))
        fam.add_metric(list(key), buckets, s["sum"])
    return fam


def _gauge(name: str, help_: str, labels: Iterable[str] = (), rows: Iterable[tuple] = ()) -> GaugeMetricFamily:
    fam = GaugeMetricFamily(name, help_, labels=list(labels))
    for *lab, v in rows:
        fam.add_metric([str(x) for x in lab], float(v or 0))
    return fam


def spend_cap_usd() -> float | None:
    cap = config.get_float("LLM_SPEND_CAP")
    if cap is None:
        return None
    cur = (config.get("LLM_SPEND_CAP_CURRENCY") or "USD").upper()
    return cap / DEFAULT_KRW_PER_USD if cur == "KRW" else cap


def _store_gauges(g: dict[str, list[tuple]], totals: list[tuple[str, dict[str, str], float]],
                  now: float) -> list[Metric]:
    last: dict[str, float] = {}
    for market, ts in g["market_push"]:
        if market:
            last[market] = float(ts)
    for name, labels, v in totals:
        if name == "dropship_market_sync_last_success_timestamp_seconds" and labels.get("market"):
            last[labels["market"]] = max(v, last.get(labels["market"], 0.0))
    n_sup, sup_lag = g["suppliers"][0] if g["suppliers"] else (0, None)
    depth, oldest = g["inbox"][0] if g["inbox"] else (0, 0)
    fams = [
        _gauge("dropship_market_sync_lag_seconds",
               "Seconds since the market's listings were last brought up to date (a finished market_sync "
               "or the last push).", ["market"], [(k, max(0.0, now - v)) for k, v in sorted(last.items())]),
        _gauge("dropship_supplier_sync_lag_max_seconds", "Seconds since the least recently synced supplier "
               "last synced successfully.", rows=[(sup_lag or 0,)] if n_sup else []),
        _gauge("dropship_suppliers_synced", "Suppliers with at least one successful sync.", rows=[(n_sup,)]),
        _gauge("dropship_products", "Products in the store by status.", ["status"], g["products"]),
        _gauge("dropship_listings", "Listings by market and status.", ["market", "status"], g["listings"]),
        _gauge("dropship_quarantine_open", "Quarantined supplier records not yet resolved.", rows=g["quarantine"]),
        _gauge("dropship_webhook_inbox_depth", "Supplier push events accepted but not yet ingested.",
               rows=[(depth,)]),
        _gauge("dropship_webhook_inbox_oldest_seconds", "Age of the oldest event waiting in the inbox.",
               rows=[(oldest,)]),
        _gauge("dropship_agent_decisions_pending", "Agent decisions waiting for a person, by market and kind.",
               ["market", "kind"], g["decisions"]),
    ]
    cap = spend_cap_usd()
    if cap is not None:
        fams.append(_gauge("dropship_llm_spend_cap_usd", "The configured LLM spend cap per run, in USD.",
                           rows=[(cap,)]))
    return fams


class StoreMetrics:
    """A cached snapshot of everything /metrics exposes, read from `store`."""

    def __init__(self, store: Any, cache_s: float = 15.0, clock=time.monotonic):
        self.store = store
        self.cache_s = cache_s
        self.clock = clock
        self._body: bytes | None = None
        self._at = -1e18
        self._lock = threading.Lock()
        self._alock: asyncio.Lock | None = None
        self._last_fams: list[Metric] = []
        self.refreshes = 0

    def _families(self) -> list[Metric] | None:
        """Everything exposed, or None when the store could not be read."""
        started = time.perf_counter()
        m.flush(self.store)   # this process's own numbers (the receiver's counters) go the same way
        try:
            totals = self.store.metric_totals()
            fams = _total_families(totals) + _store_gauges(self.store.metric_gauges(), totals, time.time())
        except Exception as e:  # noqa: BLE001 - the endpoint keeps answering with what it had
            log.warning("metrics: store unreadable (%s)", type(e).__name__)
            return None
        fams.append(_gauge("dropship_metrics_refresh_seconds", "Seconds the last refresh took.",
                           rows=[(time.perf_counter() - started,)]))
        return fams

    def render(self) -> bytes:
        """The exposition, refreshed if older than `cache_s` (blocking: call off the event loop).
        With the store unreadable: the previous numbers with `dropship_metrics_store_up 0`."""
        with self._lock:
            if self._body is not None and self.clock() - self._at < self.cache_s:
                return self._body
            fams = self._families()
            up = _gauge("dropship_metrics_store_up", "1 when the last refresh read the store.",
                        rows=[(1 if fams is not None else 0,)])
            if fams is None:
                fams = self._last_fams
            else:
                self._last_fams = fams
            self._body, self._at = generate_latest(_Registry([*fams, up])), self.clock()
            self.refreshes += 1
            return self._body

    async def arender(self) -> bytes:
        if self._body is not None and self.clock() - self._at < self.cache_s:
            return self._body
        if self._alock is None:
            self._alock = asyncio.Lock()
        async with self._alock:
            return await asyncio.to_thread(self.render)


class _Registry(CollectorRegistry):
    def __init__(self, families: list[Metric]):
        super().__init__(auto_describe=False)
        self._families = families

    def collect(self):
        yield from self._families


def token_ok(header: str | None, token: str | None) -> bool:
    """`Authorization: Bearer <token>` against DROPSHIP_METRICS_TOKEN, in constant time."""
    if not token or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].strip().encode(), token.encode())


def metrics_endpoint(store: Any, *, token: str | None = None, cache_s: float | None = None):
    """A Starlette endpoint for /metrics: 401 without the token, 503 when no token is configured
    (the numbers are not served unauthenticated), else the cached exposition."""
    from starlette.responses import PlainTextResponse, Response

    token = token if token is not None else config.get("DROPSHIP_METRICS_TOKEN")
    cache_s = cache_s if cache_s is not None else float(config.get("DROPSHIP_METRICS_CACHE_S") or 15)
    snapshot = StoreMetrics(store, cache_s)

    async def endpoint(request) -> Response:
        if not token:
            return PlainTextResponse("metrics disabled: set DROPSHIP_METRICS_TOKEN\n", status_code=503)
        if not token_ok(request.headers.get("authorization"), token):
            return PlainTextResponse("unauthorized\n", status_code=401,
                                     headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return Response(await snapshot.arender(), media_type=CONTENT_TYPE)

    endpoint.snapshot = snapshot  # type: ignore[attr-defined]
    return endpoint
