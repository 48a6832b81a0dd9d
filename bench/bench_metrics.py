"""What the metrics cost: per-call overhead of the measured HTTP transport, a flush of a run's
numbers, and a /metrics refresh over a generated store (the refresh runs off the event loop;
within the cache window a scrape is answered from memory).

    PYTHONPATH=$PWD python bench/bench_metrics.py --calls 20000 --products 50000

Uses DATABASE_URL (default the local test database) and a throwaway schema it drops at the end.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from urllib.parse import quote

import httpx
import psycopg

from dropship_core import metrics
from dropship_core.http import make_client
from dropship_core.metrics_collector import StoreMetrics
from dropship_core.store import Store

GENERATE = """
INSERT INTO source_data (supplier_key, supplier_item_id, raw_data, market_data, content_hash, status)
SELECT 'supplier-' || (g %% 20), 'item-' || g, jsonb_build_object('name', 'product ' || g, 'cost', 1000 + g %% 9000),
       jsonb_build_object('coupang', jsonb_build_object('status', 'published'),
                          'smartstore', jsonb_build_object('status', CASE WHEN g %% 7 = 0 THEN 'blocked' ELSE 'published' END)),
       md5(g::text), CASE WHEN g %% 11 = 0 THEN 'soldout' ELSE 'active' END
FROM generate_series(1, %(n)s) g
"""
EVENTS = """
INSERT INTO source_data_events (product_id, supplier_key, supplier_item_id, event_type, payload)
SELECT id, supplier_key, supplier_item_id, 'published', jsonb_build_object('market', m)
FROM source_data, unnest(ARRAY['coupang', 'smartstore']) m;
"""


def per_call(n: int, rounds: int = 3) -> tuple[float, float]:
    """Best of `rounds` interleaved runs (µs per call), after a warm-up: plain vs measured."""
    ok = httpx.MockTransport(lambda r: httpx.Response(200, json={"ok": True}))
    clients = [httpx.Client(transport=ok), make_client(10, ok, service="coupang")]
    best = [float("inf"), float("inf")]
    for c in clients:
        for i in range(200):
            c.get(f"http://api.test/v2/products/{i}/items")
    for _ in range(rounds):
        for k, client in enumerate(clients):
            start = time.perf_counter()
            for i in range(n):
                client.get(f"http://api.test/v2/products/{i}/items")
            best[k] = min(best[k], (time.perf_counter() - start) / n * 1e6)
    return best[0], best[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--products", type=int, default=50000)
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    schema = f"bench_metrics_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema},public')}"
    rows = []
    try:
        raw_us, measured_us = per_call(args.calls)
        rows.append(("HTTP call, plain httpx (MockTransport)", f"{raw_us:.1f} µs"))
        rows.append(("HTTP call, measured transport", f"{measured_us:.1f} µs (+{measured_us - raw_us:.1f})"))
        store = Store(url)
        store.migrate()
        t = time.perf_counter()
        n = metrics.flush(store)
        rows.append((f"flush of {n} changed samples", f"{(time.perf_counter() - t) * 1e3:.1f} ms"))
        with psycopg.connect(url) as c:
            c.execute(GENERATE, {"n": args.products})
            c.execute(EVENTS)
        snap = StoreMetrics(store, cache_s=15)
        t = time.perf_counter()
        body = snap.render()
        rows.append((f"/metrics refresh, {args.products} products", f"{(time.perf_counter() - t) * 1e3:.1f} ms"))
        t = time.perf_counter()
        for _ in range(1000):
            snap.render()
        rows.append(("/metrics within the cache window", f"{(time.perf_counter() - t) * 1e3:.3f} µs"))
        rows.append(("exposition size", f"{len(body) / 1024:.1f} KiB"))
    finally:
        with psycopg.connect(base, autocommit=True) as c:
            c.execute(f'DROP SCHEMA "{schema}" CASCADE')
    w = max(len(a) for a, _ in rows)
    print(f"{'what':<{w}}  time")
    print(f"{'-' * w}  {'-' * 24}")
    for a, b in rows:
        print(f"{a:<{w}}  {b}")


if __name__ == "__main__":
    main()
