"""Listings: the per-market entry of each product (`market_data[market]`), its events, and the
rows market_listings and market_sync read."""

from __future__ import annotations

from typing import Any, Sequence

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dropship_core.store.base import _DIFF_SQL, RunInfo, StoreBase, _json, stage_rows


def _keys(supplier_key: "str | Sequence[str]") -> list[str]:
    """One supplier or several: a ranged run reads all its partitions in one query."""
    return [supplier_key] if isinstance(supplier_key, str) else list(supplier_key)


class ListingsMixin(StoreBase):
    def listing_inputs(self, supplier_key: "str | Sequence[str]", market: str, input_suffix: str) -> list[dict[str, Any]]:
        """Products of a supplier whose listing for `market` was built from other inputs.

        A listing's inputs are the enriched content (ai_source_hash, which embeds the content
        hash) and the pricing policy (input_suffix); only those that changed are recomputed.
        """
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                """
                SELECT id, supplier_item_id, raw_data, ai_data, status, market_data -> %(m)s AS entry,
                       ai_source_hash || ':' || %(sfx)s
                           || coalesce(':' || (market_data -> %(m)s ->> 'price_override'), '') AS input_key
                  FROM source_data
                 WHERE supplier_key = ANY(%(sk)s) AND ai_source_hash IS NOT NULL
                   AND (market_data -> %(m)s ->> 'input_key') IS DISTINCT FROM
                       ai_source_hash || ':' || %(sfx)s
                           || coalesce(':' || (market_data -> %(m)s ->> 'price_override'), '')
                 ORDER BY id
                """,
                {"sk": _keys(supplier_key), "m": market, "sfx": input_suffix},
            ).fetchall()

    def set_market_entries(
        self, market: str, rows: Sequence[tuple[int, dict[str, Any]]], run: RunInfo, event_type: str = "listed"
    ) -> int:
        """rows: (product id, the whole new market_data[market] entry). Event per changed entry."""
        if not rows:
            return 0
        with self.connect() as conn, conn.transaction():
            stage_rows(conn, "staging_market", "id BIGINT, entry JSONB", ((pid, _json(e)) for pid, e in rows))
            diff = _DIFF_SQL.format(new="s.entry -> 'listing'", old="coalesce(o.entry -> 'listing', '{}'::jsonb)")
            out = conn.execute(
                f"""
                WITH old AS (
                    SELECT d.id, d.market_data -> %(m)s AS entry FROM source_data d JOIN staging_market s USING (id)
                ), up AS (
                    UPDATE source_data d SET market_data = d.market_data || jsonb_build_object(%(m)s::text, s.entry),
                           updated_at = now()
                      FROM staging_market s
                     WHERE d.id = s.id AND (d.market_data -> %(m)s) IS DISTINCT FROM s.entry
                    RETURNING d.id, d.supplier_key, d.supplier_item_id
                )
                INSERT INTO source_data_events
                    (product_id, supplier_key, supplier_item_id, event_type, payload, run_id, asset_key, partition_key)
                SELECT up.id, up.supplier_key, up.supplier_item_id, %(ev)s,
                       jsonb_build_object('market', %(m)s::text,
                                          'set', jsonb_build_object('market_data', jsonb_build_object(%(m)s::text, s.entry)),
                                          'diff', {diff}),
                       %(run)s, %(asset)s, %(part)s
                  FROM up JOIN staging_market s USING (id) LEFT JOIN old o USING (id)
                RETURNING 1
                """,
                {"m": market, "ev": event_type, "run": run.run_id, "asset": run.asset_key, "part": run.partition_key},
            ).fetchall()
        return len(out)

    def update_market_data(
        self, product_id: int, market: str, patch: dict[str, Any], run: RunInfo | None = None,
        event_type: str | None = None, payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Merge `patch` into market_data[market] of one product and record the event.

        With no event_type given, a price or stock change is named as such, anything else is
        `market_updated`.
        """
        run = run or RunInfo.cli("update_market_data")
        if event_type is None:
            if "price" in patch:
                event_type = "price_changed"
            elif "stock" in patch:
                event_type = "stock_changed"
            else:
                event_type = "market_updated"
        with self.connect(row_factory=dict_row) as conn, conn.transaction():
            row = conn.execute(
                "SELECT market_data -> %s AS entry FROM source_data WHERE id = %s FOR UPDATE", (market, product_id)
            ).fetchone()
            if row is None:
                raise KeyError(f"no product with id {product_id}")
            old = row["entry"] or {}
            new = {**old, **patch}
            if new == old and not payload:
                return new
            diff = {k: [old.get(k), v] for k, v in patch.items() if old.get(k) != v}
            extra = payload or {}
            conn.execute(
                """
                WITH up AS (
                    UPDATE source_data SET market_data = market_data || jsonb_build_object(%(m)s::text, %(new)s::jsonb),
                           updated_at = now()
                     WHERE id = %(id)s RETURNING id, supplier_key, supplier_item_id
                )
                INSERT INTO source_data_events
                    (product_id, supplier_key, supplier_item_id, event_type, payload, run_id, asset_key, partition_key)
                SELECT id, supplier_key, supplier_item_id, %(ev)s,
                       %(extra)s::jsonb || jsonb_build_object('market', %(m)s::text,
                                          'set', jsonb_build_object('market_data',
                                                                    jsonb_build_object(%(m)s::text, %(new)s::jsonb)),
                                          'diff', %(diff)s::jsonb),
                       %(run)s, %(asset)s, %(part)s
                  FROM up
                """,
                {"m": market, "new": _json(new), "id": product_id, "ev": event_type, "diff": _json(diff),
                 "extra": _json({k: v for k, v in extra.items() if k not in ("market", "set", "diff")}),
                 "run": run.run_id, "asset": run.asset_key, "part": run.partition_key},
            )
        return new

    def patch_market_entries(
        self, market: str, rows: Sequence[tuple[int, dict[str, Any], dict[str, Any]]], run: RunInfo, event_type: str
    ) -> int:
        """rows: (product id, patch, event payload). `update_market_data` for many products in one
        statement: each patch merged at the top level into market_data[market], one `event_type`
        event per product (its payload, plus market / set / diff as update_market_data writes
        them), written even when the patch changes nothing. Returns the number of products
        patched."""
        if not rows:
            return 0
        with self.connect() as conn, conn.transaction():
            stage_rows(conn, "staging_market_patch", "id BIGINT, patch JSONB, payload JSONB",
                       ((pid, _json(patch), _json(payload)) for pid, patch, payload in rows))
            # as update_market_data: a key the entry lacks counts as null
            diff = ("(SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_array(o.entry -> n.key, n.value)),"
                    " '{}'::jsonb) FROM jsonb_each(s.patch) n"
                    " WHERE coalesce(o.entry -> n.key, 'null'::jsonb) IS DISTINCT FROM n.value)")
            out = conn.execute(
                f"""
                WITH old AS (
                    SELECT d.id, coalesce(d.market_data -> %(m)s, '{{}}'::jsonb) AS entry
                      FROM source_data d JOIN staging_market_patch s USING (id)
                ), up AS (
                    UPDATE source_data d
                       SET market_data = d.market_data || jsonb_build_object(
                               %(m)s::text, coalesce(d.market_data -> %(m)s, '{{}}'::jsonb) || s.patch),
                           updated_at = now()
                      FROM staging_market_patch s
                     WHERE d.id = s.id
                    RETURNING d.id, d.supplier_key, d.supplier_item_id, d.market_data -> %(m)s AS entry
                )
                INSERT INTO source_data_events
                    (product_id, supplier_key, supplier_item_id, event_type, payload, run_id, asset_key, partition_key)
                SELECT up.id, up.supplier_key, up.supplier_item_id, %(ev)s,
                       (s.payload - 'market' - 'set' - 'diff')
                         || jsonb_build_object('market', %(m)s::text,
                                               'set', jsonb_build_object('market_data',
                                                                         jsonb_build_object(%(m)s::text, up.entry)),
                                               'diff', {diff}),
                       %(run)s, %(asset)s, %(part)s
                  FROM up JOIN staging_market_patch s USING (id) JOIN old o USING (id)
                RETURNING 1
                """,
                {"m": market, "ev": event_type, "run": run.run_id, "asset": run.asset_key, "part": run.partition_key},
            ).fetchall()
        return len(out)

    def record_event(self, product_id: int, event_type: str, payload: dict[str, Any], run: RunInfo) -> None:
        """An event that changes no column (e.g. publish_failed), kept for the audit log."""
        with self.connect() as conn:
            conn.execute(
                """
                INSERT INTO source_data_events
                    (product_id, supplier_key, supplier_item_id, event_type, payload, run_id, asset_key, partition_key)
                SELECT id, supplier_key, supplier_item_id, %s, %s, %s, %s, %s FROM source_data WHERE id = %s
                """,
                (event_type, Jsonb(payload), run.run_id, run.asset_key, run.partition_key, product_id),
            )

    # -- what market_listings checks ---------------------------------------------------------
    def invalid_listing_count(self, supplier_key: "str | Sequence[str]", market: str) -> int:
        """Products of a supplier whose stored data could not be turned into a `market` listing."""
        with self.connect() as conn:
            return conn.execute(
                "SELECT count(*) FROM source_data WHERE supplier_key = ANY(%s)"
                " AND (market_data -> %s) ? 'invalid_data'", (_keys(supplier_key), market)).fetchone()[0]

    def listing_status_counts(self, supplier_key: "str | Sequence[str]", market: str) -> dict[str | None, int]:
        """How many of a supplier's products have each listing status on `market`."""
        with self.connect() as conn:
            return dict(conn.execute(_LISTING_STATUS_COUNTS_SQL, (market, _keys(supplier_key), market)).fetchall())

    def listing_check_counts(self, supplier_key: "str | Sequence[str]", market: str, title_limit: int, *,
                             in_bytes: bool = False) -> dict[str, int]:
        """One pass over a supplier's listings on `market`: titles over the market's limit
        (characters, or UTF-8 bytes with in_bytes), listable products priced at or below cost, and
        listable products whose title holds a banned word."""
        sql = _LISTING_CHECKS_SQL.format(length="octet_length" if in_bytes else "char_length")
        with self.connect() as conn:
            too_long, under_cost, banned = conn.execute(
                sql, {"m": market, "sk": _keys(supplier_key), "limit": title_limit}).fetchone()
        return {"titles_over_limit": too_long, "listable_at_or_below_cost": under_cost,
                "listable_with_banned_words": banned}

    # -- what market_sync pushes ---------------------------------------------------------------
    def sync_candidates(self, supplier_key: "str | Sequence[str]", market: str) -> list[tuple[int, dict[str, Any]]]:
        """(product id, market entry) of the listings that differ from what the market holds:
        changed since published, failed or left publishing, or blocked while still live."""
        with self.connect() as conn:
            return conn.execute(_SYNC_CANDIDATES_SQL, {"m": market, "sk": _keys(supplier_key)}).fetchall()

    def sync_counts(self, supplier_key: "str | Sequence[str]", market: str) -> dict[str, int]:
        """Listings of a supplier on `market` that are live (`published`) and those whose create
        has an unknown outcome (`publishing`)."""
        with self.connect() as conn:
            published, publishing = conn.execute(_SYNC_COUNTS_SQL, (market, _keys(supplier_key), market)).fetchone()
        return {"published": published, "publishing": publishing}


_LISTING_STATUS_COUNTS_SQL = """
    SELECT market_data -> %s ->> 'status', count(*) FROM source_data
     WHERE supplier_key = ANY(%s) AND market_data ? %s
     GROUP BY 1
"""

_LISTING_CHECKS_SQL = """
    SELECT count(*) FILTER (WHERE {length}(market_data -> %(m)s -> 'listing' ->> 'title') > %(limit)s),
           count(*) FILTER (WHERE (market_data -> %(m)s ->> 'listable')::boolean
                              AND (market_data -> %(m)s -> 'listing' ->> 'price')::numeric
                                  <= (raw_data ->> 'cost')::numeric),
           count(*) FILTER (WHERE (market_data -> %(m)s ->> 'listable')::boolean
                              AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(
                                                 coalesce(ai_data -> 'banned_words', '[]'::jsonb)) w
                                           WHERE strpos(market_data -> %(m)s -> 'listing' ->> 'title', w) > 0))
      FROM source_data
     WHERE supplier_key = ANY(%(sk)s)
"""

_SYNC_CANDIDATES_SQL = """
    SELECT id, market_data -> %(m)s AS entry FROM source_data
     WHERE supplier_key = ANY(%(sk)s) AND market_data ? %(m)s
       AND (   ((market_data -> %(m)s ->> 'status') <> 'blocked'
                AND ((market_data -> %(m)s ->> 'listing_hash') IS DISTINCT FROM
                     (market_data -> %(m)s ->> 'published_hash')
                     OR (market_data -> %(m)s ->> 'status') IN ('failed', 'publishing')))
            OR ((market_data -> %(m)s ->> 'status') = 'blocked'
                AND (market_data -> %(m)s -> 'external') IS NOT NULL
                AND (market_data -> %(m)s ->> 'sync_status') IS DISTINCT FROM 'blocked'))
     ORDER BY id
"""

_SYNC_COUNTS_SQL = """
    SELECT count(*) FILTER (WHERE status = 'published'), count(*) FILTER (WHERE status = 'publishing')
      FROM (SELECT market_data -> %s ->> 'status' AS status FROM source_data
             WHERE supplier_key = ANY(%s) AND market_data ? %s) l
"""
