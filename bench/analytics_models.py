"""Build every analytics model over a generated store and print how long each takes.

    PYTHONPATH=$PWD python bench/analytics_models.py --products 20000 --days 30

Uses DATABASE_URL (default the local test database) and a throwaway schema it drops at the end.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

from dbt_like_sql.loader import load_project, materialize_model, run_data_test

ROOT = Path(__file__).resolve().parents[1]

GENERATE = """
INSERT INTO source_data (supplier_key, supplier_item_id, raw_data, ai_data, market_data, content_hash, ai_source_hash, status)
SELECT
  'supplier-' || (g % %(suppliers)s),
  'item-' || g,
  jsonb_build_object('name', 'product ' || g, 'cost', 1000 + (g * 37) % 40000, 'stock', (g * 13) % 60,
                     'images', jsonb_build_array('https://img.example/' || g || '.jpg'), 'brand', 'b' || (g % 50),
                     'category_path', 'cat>' || (g % 40), 'variants', '[]'::jsonb),
  CASE WHEN g % 5 <> 0 THEN jsonb_build_object('quality_score', ((g % 100) / 100.0),
       'categories', jsonb_build_object('smartstore', jsonb_build_object('id', g % 40, 'path', 'cat>' || (g % 40)))) END,
  jsonb_build_object(
    'smartstore', jsonb_build_object('status', CASE WHEN g % 7 = 0 THEN 'blocked' ELSE 'published' END,
        'listable', g % 7 <> 0, 'blocked_reasons', CASE WHEN g % 7 = 0 THEN '["title too long"]'::jsonb ELSE '[]'::jsonb END,
        'listing', jsonb_build_object('price', 1500 + (g * 37) % 40000 * 1.3, 'stock', (g * 13) % 60, 'state', 'active'),
        'listing_hash', 'h' || g, 'published_hash', CASE WHEN g % 3 = 0 THEN 'old' ELSE 'h' || g END),
    'coupang', jsonb_build_object('status', 'published',
        'listing', jsonb_build_object('price', 1600 + (g * 37) % 40000 * 1.25, 'stock', (g * 13) % 60, 'state', 'active'),
        'listing_hash', 'h' || g, 'published_hash', 'h' || g)),
  'h' || g, CASE WHEN g % 5 <> 0 THEN 'h' || g END,
  CASE WHEN g % 23 = 0 THEN 'soldout' WHEN g % 97 = 0 THEN 'deleted' ELSE 'active' END
FROM generate_series(1, %(products)s) g;

INSERT INTO source_data_events (product_id, supplier_key, supplier_item_id, event_type, payload, created_at)
SELECT d.id, d.supplier_key, d.supplier_item_id, e.type,
  CASE e.type
    WHEN 'price_changed' THEN jsonb_build_object('diff', jsonb_build_object('cost', jsonb_build_array(900 + d.id % 500, 1000 + d.id % 500)))
    WHEN 'enriched' THEN jsonb_build_object('usage', jsonb_build_object('provider', 'openai', 'model', 'gpt-4o-mini',
                                    'input_tokens', 900, 'output_tokens', 200, 'cost_usd', 0.0006))
    WHEN 'stock_changed' THEN jsonb_build_object('diff', jsonb_build_object('stock', jsonb_build_array(20, 10)))
    ELSE jsonb_build_object('market', 'coupang', 'error', jsonb_build_object('message', 'invalid category'))
  END,
  %(start)s::timestamptz + ((d.id * 7919 + e.n * 104729) % (%(days)s * 86400)) * interval '1 second'
FROM source_data d
CROSS JOIN LATERAL (VALUES (1, 'price_changed'), (2, 'enriched'), (3, 'stock_changed'), (4, 'publish_failed')) e(n, type)
WHERE e.n <= 2 OR d.id % 10 = 0;
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=20000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--suppliers", type=int, default=8)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    schema = f"bench_dbt_{uuid.uuid4().hex[:8]}"
    target = f"{schema}_analytics"
    start = (datetime.now(timezone.utc) - timedelta(days=args.days)).replace(hour=0, minute=0, second=0, microsecond=0)
    project = load_project()
    rows = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            conn.execute(f'SET search_path = "{schema}"')
            for path in sorted((ROOT / "dropship_core/store/migrations").glob("*.sql")):
                conn.execute(path.read_text(encoding="utf-8").encode())
            t = time.perf_counter()
            conn.execute(GENERATE.replace("%(suppliers)s", str(args.suppliers)).replace("%(products)s", str(args.products))
                         .replace("%(days)s", str(args.days)).replace("%(start)s", f"'{start.isoformat()}'").encode())
            conn.execute("ANALYZE")
            events = conn.execute("SELECT count(*) FROM source_data_events").fetchone()[0]
            print(f"store: {args.products} products, {events} events over {args.days} days, seeded in {time.perf_counter() - t:.1f}s\n")
            for name in project.order:
                model = project.models[name]
                if model.is_incremental:
                    # one day, as the daily schedule does, and the whole range, as a single-run backfill
                    day = (start + timedelta(days=args.days // 2), start + timedelta(days=args.days // 2 + 1))
                    t = time.perf_counter()
                    out = materialize_model(conn, project, name, target, day)
                    rows.append((name, "incremental (1 day)", out.rows_written, time.perf_counter() - t))
                    t = time.perf_counter()
                    out = materialize_model(conn, project, name, target, (start, start + timedelta(days=args.days + 1)))
                    rows.append((name, f"incremental ({args.days} days)", out.rows_written, time.perf_counter() - t))
                else:
                    t = time.perf_counter()
                    out = materialize_model(conn, project, name, target)
                    rows.append((name, model.config.materialized + " (+count, preview, metrics)", out.row_count, time.perf_counter() - t))
            t = time.perf_counter()
            for test in project.tests:
                run_data_test(conn, project, test, target)
            rows.append((f"{len(project.tests)} data tests", "checks", None, time.perf_counter() - t))
        finally:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'DROP SCHEMA IF EXISTS "{target}" CASCADE')
    width = max(len(r[0]) for r in rows)
    print(f"{'model':<{width}}  {'materialised as':<34} {'rows':>10} {'seconds':>8}")
    print("-" * (width + 56))
    for name, kind, n, secs in rows:
        print(f"{name:<{width}}  {kind:<34} {'' if n is None else n:>10} {secs:>8.2f}")
    print("-" * (width + 56))
    print(f"{'total':<{width}}  {'':<34} {'':>10} {sum(r[3] for r in rows):>8.2f}")


if __name__ == "__main__":
    main()
