"""Named store methods for market evidence: the search budget and cache, market_prices, and the
real sales signals the agents may use. Assets call these; they never write SQL themselves."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any, Iterable

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb


def _app_hash(app_id: str) -> str:
    return hashlib.sha256(app_id.encode()).hexdigest()[:16]


class PgCallBudget:
    """`CallBudget` in table search_call_budget: one row per (source, app, day), counted atomically
    so parallel runs share one budget."""

    def __init__(self, database_url: str, source: str):
        self.database_url, self.source = database_url, source

    def take(self, app_id: str, day: str, limit: int) -> bool:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            row = conn.execute(
                "INSERT INTO search_call_budget AS b (source, app_id, day, calls) VALUES (%s, %s, %s, 1)"
                " ON CONFLICT (source, app_id, day) DO UPDATE SET calls = b.calls + 1 WHERE b.calls < %s"
                " RETURNING calls", (self.source, _app_hash(app_id), day, limit)).fetchone()
        return row is not None and limit > 0

    def used(self, app_id: str, day: str) -> int:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute("SELECT calls FROM search_call_budget WHERE source = %s AND app_id = %s AND day = %s",
                               (self.source, _app_hash(app_id), day)).fetchone()
        return row[0] if row else 0


class PgSearchCache:
    def __init__(self, database_url: str):
        self.database_url = database_url

    def get(self, source: str, key: str, max_age_s: float) -> dict[str, Any] | None:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(
                "SELECT response FROM search_cache WHERE source = %s AND query_key = %s"
                " AND fetched_at > now() - make_interval(secs => %s)", (source, key, max_age_s)).fetchone()
        return row[0] if row else None

    def put(self, source: str, key: str, response: dict[str, Any]) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO search_cache (source, query_key, response, fetched_at) VALUES (%s, %s, %s, now())"
                " ON CONFLICT (source, query_key) DO UPDATE SET response = EXCLUDED.response, fetched_at = now()",
                (source, key, Jsonb(response)))


class EvidenceStore:
    def __init__(self, database_url: str):
        self.database_url = database_url

    def connect(self, **kw) -> psycopg.Connection:
        return psycopg.connect(self.database_url, **kw)

    def budget(self, source: str) -> PgCallBudget:
        return PgCallBudget(self.database_url, source)

    def cache(self) -> PgSearchCache:
        return PgSearchCache(self.database_url)

    def listed_products(self, market: str, supplier_key: str) -> list[dict[str, Any]]:
        """Products of one supplier with a listing on `market`: what market_prices searches for."""
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                "SELECT id, supplier_key, raw_data, ai_data, market_data -> %(m)s -> 'listing' AS listing"
                "  FROM source_data WHERE supplier_key = %(sk)s AND status <> 'deleted'"
                "   AND market_data -> %(m)s -> 'listing' IS NOT NULL ORDER BY id",
                {"m": market, "sk": supplier_key}).fetchall()

    def save_market_prices(self, market: str, supplier_key: str, rows: Iterable[dict[str, Any]],
                           run_id: str | None) -> int:
        """Upsert one row per product; a row whose evidence did not change keeps its timestamps."""
        params = [{**r, "market": market, "sk": supplier_key, "run": run_id,
                   "observed_at": datetime.fromtimestamp(r["observed_at"], timezone.utc),
                   "evidence": Jsonb(r.get("evidence") or {})} for r in rows]
        if not params:
            return 0
        with self.connect() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                """
                INSERT INTO market_prices AS mp (product_id, market, supplier_key, source, query, own_price, matched,
                       lowest_price, median_price, band_low, band_high, seller_count, evidence, observed_at, run_id)
                VALUES (%(product_id)s, %(market)s, %(sk)s, %(source)s, %(query)s, %(own_price)s, %(matched)s,
                        %(lowest_price)s, %(median_price)s, %(band_low)s, %(band_high)s, %(seller_count)s,
                        %(evidence)s, %(observed_at)s, %(run)s)
                ON CONFLICT (product_id, market) DO UPDATE SET
                       supplier_key = EXCLUDED.supplier_key, source = EXCLUDED.source, query = EXCLUDED.query,
                       own_price = EXCLUDED.own_price, matched = EXCLUDED.matched,
                       lowest_price = EXCLUDED.lowest_price, median_price = EXCLUDED.median_price,
                       band_low = EXCLUDED.band_low, band_high = EXCLUDED.band_high,
                       seller_count = EXCLUDED.seller_count, evidence = EXCLUDED.evidence,
                       observed_at = EXCLUDED.observed_at, run_id = EXCLUDED.run_id, updated_at = now()
                 WHERE (mp.query, mp.own_price, mp.matched, mp.lowest_price, mp.seller_count, mp.band_high,
                        mp.observed_at)
                       IS DISTINCT FROM (EXCLUDED.query, EXCLUDED.own_price, EXCLUDED.matched,
                        EXCLUDED.lowest_price, EXCLUDED.seller_count, EXCLUDED.band_high, EXCLUDED.observed_at)
                """, params)
        return len(params)

    def market_prices(self, market: str) -> dict[int, dict[str, Any]]:
        with self.connect(row_factory=dict_row) as conn:
            rows = conn.execute(
                "SELECT product_id, source, query, matched, lowest_price, median_price, band_low, band_high,"
                " seller_count, evidence, extract(epoch FROM observed_at)::float8 AS observed_at"
                " FROM market_prices WHERE market = %s", (market,)).fetchall()
        return {r["product_id"]: r for r in rows}

    def market_price_summary(self, market: str, supplier_key: str) -> dict[str, int]:
        with self.connect() as conn:
            n, with_price = conn.execute(
                "SELECT count(*), count(lowest_price) FROM market_prices WHERE market = %s AND supplier_key = %s",
                (market, supplier_key)).fetchone()
        return {"products": n, "with_comparable": with_price}

    def supplier_stock_velocity(self, product_ids: list[int], days: int = 14) -> dict[int, float]:
        """Units per day the supplier's stock fell, from the stock values in the product's
        recorded snapshots (ingested/changed events) over the last `days`. Only products with at
        least two observations a day or more apart get a number; restocks are not counted as
        negative sales."""
        if not product_ids:
            return {}
        with self.connect() as conn:
            rows = conn.execute(
                """
                WITH obs AS (
                    SELECT product_id, created_at, (snapshot ->> 'stock')::numeric AS stock,
                           lag((snapshot ->> 'stock')::numeric) OVER w AS prev
                      FROM source_data_events
                     WHERE product_id = ANY(%s) AND snapshot ? 'stock'
                       AND jsonb_typeof(snapshot -> 'stock') = 'number'
                       AND created_at > now() - make_interval(days => %s)
                    WINDOW w AS (PARTITION BY product_id ORDER BY created_at, id)
                )
                SELECT product_id, sum(GREATEST(prev - stock, 0)) AS sold,
                       extract(epoch FROM max(created_at) - min(created_at)) / 86400.0 AS span_days
                  FROM obs GROUP BY product_id HAVING count(*) >= 2
                """, (list(product_ids), days)).fetchall()
        return {pid: float(sold) / float(span) for pid, sold, span in rows if span and float(span) >= 1.0}
