"""Enrichment: products whose AI data is stale, and writing the new AI data with its events."""

from __future__ import annotations

from typing import Any, Sequence

from psycopg.rows import dict_row

from dropship_core.store.base import _DIFF_SQL, RunInfo, StoreBase, _json, stage_rows


class EnrichmentMixin(StoreBase):
    def pending_enrichment(self, supplier_key: str, version: str) -> list[dict[str, Any]]:
        """Products whose ai_data was computed from other content (or another enricher version)."""
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                """
                SELECT id, supplier_item_id, raw_data, content_hash, status, ai_data FROM source_data
                 WHERE supplier_key = %s AND ai_source_hash IS DISTINCT FROM content_hash || ':' || %s
                 ORDER BY id
                """,
                (supplier_key, version),
            ).fetchall()

    def set_ai_data(self, rows: Sequence[tuple[int, dict[str, Any], str]], run: RunInfo) -> int:
        """rows: (product id, ai_data, ai_source_hash). Writes an `enriched` event per changed row."""
        if not rows:
            return 0
        with self.connect() as conn, conn.transaction():
            stage_rows(conn, "staging_ai", "id BIGINT, ai_data JSONB, ai_source_hash TEXT",
                       ((pid, _json(ai), h) for pid, ai, h in rows))
            diff = _DIFF_SQL.format(new="s.ai_data", old="coalesce(o.ai_data, '{}'::jsonb)")
            out = conn.execute(
                f"""
                WITH old AS (
                    SELECT d.id, d.ai_data FROM source_data d JOIN staging_ai s USING (id)
                ), up AS (
                    UPDATE source_data d SET ai_data = s.ai_data, ai_source_hash = s.ai_source_hash, updated_at = now()
                      FROM staging_ai s
                     WHERE d.id = s.id AND (d.ai_data IS DISTINCT FROM s.ai_data
                                            OR d.ai_source_hash IS DISTINCT FROM s.ai_source_hash)
                    RETURNING d.id, d.supplier_key, d.supplier_item_id
                )
                INSERT INTO source_data_events
                    (product_id, supplier_key, supplier_item_id, event_type, payload, run_id, asset_key, partition_key)
                SELECT up.id, up.supplier_key, up.supplier_item_id, 'enriched',
                       jsonb_build_object('set', jsonb_build_object('ai_data', s.ai_data,
                                                                    'ai_source_hash', s.ai_source_hash),
                                          'diff', {diff}),
                       %(run)s, %(asset)s, %(part)s
                  FROM up JOIN staging_ai s USING (id) LEFT JOIN old o USING (id)
                RETURNING 1
                """,
                {"run": run.run_id, "asset": run.asset_key, "part": run.partition_key},
            ).fetchall()
        return len(out)
