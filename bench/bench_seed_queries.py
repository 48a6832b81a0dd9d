"""The seed's two queries at catalog scale, through the Store API:

    python bench/bench_seed_queries.py [--products 1000000]

Fills a fresh schema with N products (about 1 KB of raw_data each; 30% published on smartstore,
20% on coupang, 10% on gmarket, 60% enriched with a quality score), then times
`store.active_in_market(m, limit=100)` and `store.with_ai_score_above(0.8, limit=100)` through the
Store API (rows decoded to dicts, on the store's kept per-thread connection), the same SQL on a
plain open connection, the server's own execution time and the plan. Prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import drop_schema, schema_url  # noqa: E402  (same folder)
from dropship_core.db import database_url  # noqa: E402
from dropship_core.store import Store  # noqa: E402

FILL = """
INSERT INTO source_data (supplier_key, supplier_item_id, raw_data, content_hash, status, market_data, ai_data)
SELECT 'sup' || (g %% 100), 'P' || g,
       jsonb_build_object('name', '상품 ' || g, 'cost', 1000 + g %% 90000, 'brand', '벤치',
                          'raw', jsonb_build_object('description', repeat('상세설명 ', 80))),
       md5(g::text), CASE WHEN g %% 17 = 0 THEN 'soldout' ELSE 'active' END,
       CASE WHEN g %% 10 < 3 THEN jsonb_build_object('smartstore', jsonb_build_object('status', 'published'))
            WHEN g %% 10 < 5 THEN jsonb_build_object('coupang', jsonb_build_object('status', 'published'))
            WHEN g %% 10 < 6 THEN jsonb_build_object('gmarket', jsonb_build_object('status', 'published'))
            ELSE '{}'::jsonb END,
       CASE WHEN g %% 10 < 6 THEN jsonb_build_object('quality_score', round(((g * 7919) %% 1000) / 1000.0, 3))
            ELSE NULL END
  FROM generate_series(%s::bigint, %s::bigint) g
"""


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    base = database_url()
    url, schema = schema_url(base)
    try:
        store = Store(url)
        store.migrate()
        t = time.perf_counter()
        with psycopg.connect(url) as c:
            for lo in range(1, args.products + 1, 100_000):
                c.execute(FILL, (lo, min(lo + 99_999, args.products)))
                c.commit()
            c.execute("ANALYZE source_data")
            c.commit()
        print(f"(filled {args.products:,} products in {time.perf_counter() - t:.0f}s)", file=sys.stderr)
        cases = [(f"active_in_market('{m}', limit=100)", lambda m=m: store.active_in_market(m, limit=100))
                 for m in ("smartstore", "coupang", "gmarket")]
        cases.append(("with_ai_score_above(0.8, limit=100)", lambda: store.with_ai_score_above(0.8, limit=100)))
        print(f"\nSeed queries at {args.products:,} products, {args.calls} calls each through the Store API"
              " (its kept per-thread connection)\n")
        print("| query | rows | API p50 ms | API p95 ms | SQL p95 ms (open connection) | server execution | plan |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for name, fn in cases:
            fn()
            times = []
            for _ in range(args.calls):
                t = time.perf_counter()
                rows = fn()
                times.append((time.perf_counter() - t) * 1000)
            sql_p95, server, scans = on_open_connection(url, name, args.calls)
            print(f"| {name} | {len(rows)} | {statistics.median(times):.2f} | {p95(times):.2f} | {sql_p95:.2f} |"
                  f" {server} | {scans} |")
    finally:
        drop_schema(base, schema)


def sql_for(name: str) -> tuple[str, tuple]:
    if name.startswith("active"):
        return ("SELECT * FROM source_data WHERE (market_data -> %s ->> 'status') = 'published'"
                " AND status = 'active' ORDER BY id LIMIT 100", (name.split("'")[1],))
    return ("SELECT * FROM source_data WHERE (ai_data ->> 'quality_score')::numeric > %s"
            " ORDER BY (ai_data ->> 'quality_score')::numeric DESC, id LIMIT 100", (0.8,))


def on_open_connection(url: str, name: str, calls: int) -> tuple[float, float, str]:
    """p95 of the same SQL on one open connection, the server's own execution time, the plan."""
    sql, params = sql_for(name)
    times = []
    with psycopg.connect(url) as c:
        for _ in range(calls):
            t = time.perf_counter()
            c.execute(sql, params).fetchall()
            times.append((time.perf_counter() - t) * 1000)
        lines = [r[0] for r in c.execute("EXPLAIN (ANALYZE) " + sql, params).fetchall()]
    scans = [ln.split("->")[-1].split("(")[0].strip() for ln in lines if "Scan" in ln]
    server = next((ln.split(":")[1].strip() for ln in lines if ln.startswith("Execution Time")), "?")
    return p95(times), server, "; ".join(scans)


if __name__ == "__main__":
    main()
