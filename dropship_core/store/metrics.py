"""Metrics in the store: the totals runs flush (`metric_totals`), the gauges `/metrics` derives
from the store's own tables, and the ingest numbers recorded around `Store.ingest`."""

from __future__ import annotations

import json
import time
from typing import Any, Iterable, Sequence

from dropship_core import metrics as m
from dropship_core.store.base import IngestResult, RunInfo, StoreBase

_ADD_SQL = """
INSERT INTO metric_totals (name, labels, kind, value) VALUES (%s, %s, %s, %s)
ON CONFLICT (name, labels) DO UPDATE SET
    value = CASE WHEN EXCLUDED.kind = 'max' THEN greatest(metric_totals.value, EXCLUDED.value)
                 ELSE metric_totals.value + EXCLUDED.value END,
    updated_at = now()
"""

# What /metrics derives from the store at scrape time (cached by the collector). Bounded labels.
_GAUGE_SQL = {
    "products": "SELECT status, count(*) FROM source_data GROUP BY 1 ORDER BY 1",
    "listings": "SELECT k.key, coalesce(k.value->>'status', 'unknown'), count(*)"
                " FROM source_data, jsonb_each(market_data) k GROUP BY 1, 2 ORDER BY 1, 2",
    "quarantine": "SELECT count(*) FROM quarantine WHERE resolved_at IS NULL",
    "suppliers": "SELECT count(*), extract(epoch FROM now() - min(last_success))"
                 " FROM supplier_state WHERE last_success IS NOT NULL",
    "market_push": "SELECT payload->>'market', extract(epoch FROM max(created_at))"
                   " FROM source_data_events WHERE event_type IN"
                   " ('published', 'updated', 'price_changed', 'stock_changed', 'stopped', 'reconciled')"
                   " GROUP BY 1 ORDER BY 1",
    # the inbox reader's position is the webhook supplier's cursor (the last inbox id consumed)
    "inbox": "SELECT count(*), coalesce(extract(epoch FROM now() - min(i.received_at)), 0)"
             " FROM webhook_inbox i LEFT JOIN supplier_state s ON s.supplier_key = i.supplier_key"
             " WHERE i.processed_at IS NULL"
             " AND i.id > CASE WHEN s.cursor ~ '^[0-9]+$' THEN s.cursor::bigint ELSE 0 END",
    "decisions": "SELECT market, kind, count(*) FROM agent_decisions WHERE status = 'pending_approval'"
                 " GROUP BY 1, 2 ORDER BY 1, 2",
}


class MetricsMixin(StoreBase):
    # -- totals ----------------------------------------------------------------------------------
    def add_metric_deltas(self, deltas: Sequence[tuple[str, str, str, float]]) -> None:
        """Add (name, labels JSON, kind, value) rows to the totals in one transaction."""
        with self.connect() as conn:
            with conn.transaction():
                with conn.cursor() as cur:
                    cur.executemany(_ADD_SQL, list(deltas))

    def metric_totals(self) -> list[tuple[str, dict[str, str], float]]:
        with self.connect() as conn:
            rows = conn.execute("SELECT name, labels, value FROM metric_totals ORDER BY name, labels").fetchall()
        return [(n, json.loads(lab), float(v)) for n, lab, v in rows]

    # -- gauges from the store's tables ------------------------------------------------------------
    def metric_gauges(self, timeout_ms: int = 5000) -> dict[str, list[tuple]]:
        """The store-derived gauges in one read-only transaction, each query bounded in time."""
        out: dict[str, list[tuple]] = {}
        with self.connect() as conn:
            with conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                conn.execute("SET TRANSACTION READ ONLY")
                for key, sql in _GAUGE_SQL.items():
                    out[key] = [tuple(r) for r in conn.execute(sql).fetchall()]
        return out

    # -- ingest, measured ----------------------------------------------------------------------------
    def ingest_prepared(self, supplier_key: str, rows: Sequence[Any], run: RunInfo, **kw: Any) -> IngestResult:
        # `ingest` serialises and comes through here too: every import is measured once
        start = time.perf_counter()
        res = super().ingest_prepared(supplier_key, rows, run, **kw)  # type: ignore[misc]
        m.INGEST_SECONDS.observe(time.perf_counter() - start)
        for outcome in ("new", "changed", "unchanged", "delisted"):
            n = getattr(res, outcome)
            if n:
                m.INGEST_ROWS.labels(outcome).inc(n)
        return res

    def quarantine(self, supplier_key: str, rejects: Iterable[Any], run: RunInfo, **kw: Any) -> int:
        n = super().quarantine(supplier_key, rejects, run, **kw)  # type: ignore[misc]
        if n:
            m.INGEST_REJECTS.inc(n)
        return n
