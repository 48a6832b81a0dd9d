"""Queries: read-only views of the store for people, the CLI and asset metadata."""

from __future__ import annotations

from typing import Any, Sequence

from psycopg.rows import dict_row

from dropship_core.store.base import StoreBase


class QueriesMixin(StoreBase):
    def get(self, product_id: int) -> dict[str, Any] | None:
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute("SELECT * FROM source_data WHERE id = %s", (product_id,)).fetchone()

    def get_by_supplier_item(self, supplier_key: str, item_id: str) -> dict[str, Any] | None:
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                "SELECT * FROM source_data WHERE supplier_key = %s AND supplier_item_id = %s", (supplier_key, item_id)
            ).fetchone()

    def active_in_market(self, market: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Products published and live on `market` (uses the per-market status index)."""
        return self.read(
            "SELECT * FROM source_data WHERE (market_data -> %s ->> 'status') = 'published'"
            " AND status = 'active' ORDER BY id LIMIT %s",
            (market, limit),
        )

    def with_ai_score_above(self, threshold: float, limit: int | None = None) -> list[dict[str, Any]]:
        return self.read(
            "SELECT * FROM source_data WHERE (ai_data ->> 'quality_score')::numeric > %s"
            " ORDER BY (ai_data ->> 'quality_score')::numeric DESC, id LIMIT %s",
            (threshold, limit),
        )

    def events(self, product_id: int) -> list[dict[str, Any]]:
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                "SELECT * FROM source_data_events WHERE product_id = %s ORDER BY id", (product_id,)
            ).fetchall()

    def stats(self) -> dict[str, Any]:
        with self.connect() as conn:
            products = dict(conn.execute("SELECT status, count(*) FROM source_data GROUP BY status").fetchall())
            per_supplier = conn.execute(
                "SELECT supplier_key, count(*) FILTER (WHERE status = 'active'),"
                " count(*) FILTER (WHERE status = 'soldout'), count(*) FILTER (WHERE status = 'deleted'),"
                " count(*) FILTER (WHERE ai_data IS NOT NULL)"
                " FROM source_data GROUP BY supplier_key ORDER BY supplier_key"
            ).fetchall()
            events = dict(conn.execute("SELECT event_type, count(*) FROM source_data_events GROUP BY 1").fetchall())
            quarantined = dict(
                conn.execute(
                    "SELECT supplier_key, count(*) FROM quarantine WHERE resolved_at IS NULL GROUP BY 1"
                ).fetchall()
            )
            markets = conn.execute(
                "SELECT m.key, m.value ->> 'status', count(*) FROM source_data, jsonb_each(market_data) m"
                " GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
            # pending listings of products the supplier sold out or delisted: never sent to the
            # market while sold out (market_sync only creates what can be sold)
            not_sellable = dict(conn.execute(
                "SELECT m.key, count(*) FROM source_data, jsonb_each(market_data) m"
                " WHERE m.value ->> 'status' = 'pending'"
                " AND m.value -> 'listing' ->> 'state' IN ('soldout', 'deleted') GROUP BY 1").fetchall())
        market_stats: dict[str, dict[str, int]] = {}
        for m, st, n in markets:
            market_stats.setdefault(m, {})[st or "unknown"] = n
        for m, n in not_sellable.items():
            market_stats.setdefault(m, {})["pending_soldout"] = n
        return {
            "products": {"total": sum(products.values()), **products},
            "suppliers": [
                {"supplier": s, "active": a, "soldout": so, "deleted": d, "enriched": e}
                for s, a, so, d, e in per_supplier
            ],
            "events": {"total": sum(events.values()), **events},
            "quarantined": {"total": sum(quarantined.values()), **quarantined},
            "markets": market_stats,
        }

    # -- what source_products checks -----------------------------------------------------------
    def partition_checks(self, supplier_key: str) -> dict[str, int]:
        """One pass over a supplier partition: active products without a cost, products missing a
        name or code, totals, and the open quarantine."""
        with self.connect() as conn:
            bad_cost, missing, total, active, quarantine_open = conn.execute(
                _PARTITION_CHECKS_SQL, (supplier_key, supplier_key)).fetchone()
        return {"active_without_cost": bad_cost, "missing_fields": missing, "total": total, "active": active,
                "quarantine_open": quarantine_open}

    # -- summaries for people ------------------------------------------------------------------
    def supplier_summary(self, supplier_key: str, markets: Sequence[str]) -> dict[str, Any]:
        """Products by status, events and open quarantine of one supplier, and per market the
        counts of its listings: published, stopped, listable and total."""
        with self.connect() as conn:
            products, active, soldout, deleted, events, quarantined = conn.execute(
                _SUPPLIER_SUMMARY_SQL, {"sk": supplier_key}).fetchone()
            out: dict[str, Any] = {"products": products, "active": active, "soldout": soldout,
                                   "deleted": deleted, "events": events, "quarantined": quarantined}
            for m in markets:
                published, stopped, listable, total = conn.execute(
                    _SUPPLIER_MARKET_SQL, {"m": m, "sk": supplier_key}).fetchone()
                out[m] = {"published": published, "stopped": stopped, "listable": listable, "total": total}
        return out

    def blocked_reason_counts(self, limit: int = 6) -> list[tuple[str, str, int]]:
        """(market, reason, products): the most frequent reasons a product cannot be listed."""
        with self.connect() as conn:
            return conn.execute(_BLOCKED_REASONS_SQL, (limit,)).fetchall()

    def market_sync_summary(self, market: str) -> dict[str, int]:
        """Listings on `market` published, stopped and failed, with the sync events and API failures."""
        with self.connect() as conn:
            published, stopped, failed = conn.execute(_MARKET_STATUS_SQL, {"m": market}).fetchone()
            events, failures = conn.execute(_MARKET_EVENTS_SQL, (market,)).fetchone()
        return {"published": published, "stopped": stopped, "failed": failed, "events": events,
                "api_failures": failures}


_PARTITION_CHECKS_SQL = """
    SELECT count(*) FILTER (WHERE status = 'active' AND coalesce((raw_data ->> 'cost')::numeric, 0) <= 0),
           count(*) FILTER (WHERE coalesce(raw_data ->> 'name', '') = '' OR supplier_item_id = ''),
           count(*),
           count(*) FILTER (WHERE status = 'active'),
           (SELECT count(*) FROM quarantine WHERE supplier_key = %s AND resolved_at IS NULL)
      FROM source_data
     WHERE supplier_key = %s
"""

_SUPPLIER_SUMMARY_SQL = """
    SELECT count(*), count(*) FILTER (WHERE status = 'active'), count(*) FILTER (WHERE status = 'soldout'),
           count(*) FILTER (WHERE status = 'deleted'),
           (SELECT count(*) FROM source_data_events WHERE supplier_key = %(sk)s),
           (SELECT count(*) FROM quarantine WHERE supplier_key = %(sk)s AND resolved_at IS NULL)
      FROM source_data
     WHERE supplier_key = %(sk)s
"""

_SUPPLIER_MARKET_SQL = """
    SELECT count(*) FILTER (WHERE market_data -> %(m)s ->> 'status' = 'published'),
           count(*) FILTER (WHERE market_data -> %(m)s ->> 'status' = 'stopped'),
           count(*) FILTER (WHERE (market_data -> %(m)s ->> 'listable')::boolean),
           count(*) FILTER (WHERE market_data ? %(m)s)
      FROM source_data
     WHERE supplier_key = %(sk)s
"""

_BLOCKED_REASONS_SQL = """
    SELECT m.key, r.reason, count(*)
      FROM source_data, jsonb_each(market_data) m, jsonb_array_elements_text(m.value -> 'blocked_reasons') r(reason)
     GROUP BY 1, 2
     ORDER BY 3 DESC
     LIMIT %s
"""

_MARKET_STATUS_SQL = """
    SELECT count(*) FILTER (WHERE market_data -> %(m)s ->> 'status' = 'published'),
           count(*) FILTER (WHERE market_data -> %(m)s ->> 'status' = 'stopped'),
           count(*) FILTER (WHERE market_data -> %(m)s ->> 'status' = 'failed')
      FROM source_data
"""

_MARKET_EVENTS_SQL = """
    SELECT count(*) FILTER (WHERE event_type IN ('published', 'updated', 'price_changed', 'stock_changed',
                                                 'stopped', 'reconciled')),
           count(*) FILTER (WHERE event_type = 'publish_failed')
      FROM source_data_events
     WHERE payload ->> 'market' = %s
"""
