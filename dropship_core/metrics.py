"""Prometheus metrics read from the store: what `GET /metrics` on `dropship serve` answers."""

from __future__ import annotations

import psycopg


def _esc(v: str) -> str:
    return str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def render(conn: psycopg.Connection) -> str:
    lines: list[str] = []

    def metric(name: str, kind: str, help_: str, samples: list[tuple[dict, float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lab = ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items())
            lines.append(f"{name}{{{lab}}} {float(value)}" if lab else f"{name} {float(value)}")

    q = conn.execute
    metric("dropship_products", "gauge", "Products in the store by supplier and status.",
           [({"supplier": s, "status": st}, n) for s, st, n in
            q("SELECT supplier_key, status, count(*) FROM source_data GROUP BY 1, 2 ORDER BY 1, 2").fetchall()])
    metric("dropship_products_ingested_total", "counter", "Products ingested (first seen) by supplier.",
           [({"supplier": s}, n) for s, n in q(
               "SELECT supplier_key, count(*) FROM source_data_events WHERE event_type = 'ingested'"
               " GROUP BY 1 ORDER BY 1").fetchall()])
    metric("dropship_listings", "gauge", "Listings by market and status.",
           [({"market": m, "status": st or "unknown"}, n) for m, st, n in q(
               "SELECT k.key, k.value->>'status', count(*) FROM source_data, jsonb_each(market_data) k"
               " GROUP BY 1, 2 ORDER BY 1, 2").fetchall()])
    metric("dropship_listings_published_total", "counter", "Listings created on a marketplace.",
           [({"market": m}, n) for m, n in q(
               "SELECT payload->>'market', count(*) FROM source_data_events WHERE event_type = 'published'"
               " GROUP BY 1 ORDER BY 1").fetchall()])
    metric("dropship_listings_failed_total", "counter", "Pushes a marketplace rejected or that failed.",
           [({"market": m}, n) for m, n in q(
               "SELECT payload->>'market', count(*) FROM source_data_events WHERE event_type = 'publish_failed'"
               " GROUP BY 1 ORDER BY 1").fetchall()])
    metric("dropship_quarantine", "gauge", "Open quarantined records by supplier.",
           [({"supplier": s}, n) for s, n in q(
               "SELECT supplier_key, count(*) FROM quarantine WHERE resolved_at IS NULL GROUP BY 1 ORDER BY 1"
           ).fetchall()])
    metric("dropship_supplier_sync_lag_seconds", "gauge", "Seconds since the last successful supplier sync.",
           [({"supplier": s}, lag) for s, lag in q(
               "SELECT supplier_key, extract(epoch FROM now() - last_success) FROM supplier_state"
               " WHERE last_success IS NOT NULL ORDER BY 1").fetchall()])
    metric("dropship_market_sync_lag_seconds", "gauge", "Seconds since the last push to each market.",
           [({"market": m}, lag) for m, lag in q(
               "SELECT payload->>'market', extract(epoch FROM now() - max(created_at)) FROM source_data_events"
               " WHERE event_type IN ('published', 'updated', 'price_changed', 'stock_changed', 'stopped')"
               " GROUP BY 1 ORDER BY 1").fetchall()])
    has_cache = q("SELECT to_regclass('llm_cache') IS NOT NULL").fetchone()[0]
    if has_cache:
        cols = {r[0] for r in q("SELECT column_name FROM information_schema.columns WHERE table_name = 'llm_cache'"
                                ).fetchall()}
        tok = [c for c in ("input_tokens", "output_tokens") if c in cols]
        if tok and "cost_usd" in cols:
            row = q(f"SELECT coalesce(sum({' + '.join(tok)}), 0), coalesce(sum(cost_usd), 0) FROM llm_cache").fetchone()
            metric("dropship_llm_tokens_total", "counter", "LLM tokens paid for (cached answers).", [({}, row[0])])
            metric("dropship_llm_cost_usd_total", "counter", "LLM spend in USD (cached answers).", [({}, row[1])])
    return "\n".join(lines) + "\n"
