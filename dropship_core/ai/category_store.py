"""Named storage operations for category decisions (migration 360): seller rules, the markets'
predictions cached per normalised name, and the decision per product and market.

Assets, sensors and CLIs call these methods; none of them writes SQL of its own. Each method
opens a short connection from `connect()` (a `Store.connect` or any psycopg connection factory).
"""

from __future__ import annotations

import json
from typing import Any, Callable

import psycopg
from psycopg.rows import dict_row

from dropship_core.ai.tree_vocab import norm


def name_key(name: str) -> str:
    """The normalised form predictions are cached under: NFKC, lowercase, one space."""
    return " ".join(norm(name).split())


class CategoryStore:
    def __init__(self, connect: Callable[[], psycopg.Connection]):
        self._connect = connect

    @classmethod
    def from_url(cls, database_url: str, *, migrate: bool = True) -> "CategoryStore":
        if migrate:
            from dropship_core.store.migrate import apply_migrations

            with psycopg.connect(database_url, autocommit=True) as conn:
                apply_migrations(conn)
        return cls(lambda: psycopg.connect(database_url))

    # ---------------------------------------------------------------- predictions cache
    def cached_prediction(self, predictor: str, market: str, name: str) -> list | None:
        with self._connect() as conn:
            row = conn.execute(
                "UPDATE category_predictions SET hits = hits + 1"
                " WHERE predictor = %s AND market = %s AND name_key = %s RETURNING result",
                (predictor, market, name_key(name))).fetchone()
        return row[0] if row else None

    def save_prediction(self, predictor: str, market: str, name: str, result: list) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO category_predictions (predictor, market, name_key, result)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (predictor, market, name_key)"
                " DO UPDATE SET result = EXCLUDED.result, created_at = now()",
                (predictor, market, name_key(name), json.dumps(result, ensure_ascii=False)))

    def prediction_hits(self, predictor: str, market: str, name: str) -> int:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT hits FROM category_predictions WHERE predictor = %s AND market = %s"
                " AND name_key = %s", (predictor, market, name_key(name))).fetchone()
        return int(row[0]) if row else 0

    # ---------------------------------------------------------------- seller rules
    def add_rule(self, *, market: str, supplier_key: str, supplier_category: str,
                 tokens: list[str], category_id: str, category_path: str,
                 source_product_id: int | None = None, note: str | None = None) -> int:
        """Insert or replace the rule for (market, supplier, supplier category, tokens)."""
        with self._connect() as conn:
            row = conn.execute(
                "INSERT INTO category_rules (market, supplier_key, supplier_category, tokens,"
                " category_id, category_path, source_product_id, note)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (market, supplier_key, supplier_category, tokens) DO UPDATE SET"
                " category_id = EXCLUDED.category_id, category_path = EXCLUDED.category_path,"
                " source_product_id = EXCLUDED.source_product_id, note = EXCLUDED.note,"
                " created_at = now() RETURNING rule_id",
                (market, supplier_key, supplier_category or "", sorted(set(tokens)), category_id,
                 category_path, source_product_id, note)).fetchone()
        return int(row[0])

    def rules_for(self, market: str, supplier_key: str) -> list[dict[str, Any]]:
        with self._connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT rule_id, supplier_category, tokens, category_id, category_path,"
                " source_product_id, created_at FROM category_rules"
                " WHERE market = %s AND supplier_key = %s ORDER BY created_at DESC, rule_id DESC",
                (market, supplier_key))
            return cur.fetchall()

    # ---------------------------------------------------------------- decisions
    def record_decision(self, product_id: int, market: str, decision: dict[str, Any],
                        *, supplier_key: str = "", name: str = "") -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO category_decisions (product_id, market, supplier_key, name,"
                " category_id, category_path, confidence, sources, held, held_reason)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (product_id, market) DO UPDATE SET supplier_key = EXCLUDED.supplier_key,"
                " name = EXCLUDED.name, category_id = EXCLUDED.category_id,"
                " category_path = EXCLUDED.category_path, confidence = EXCLUDED.confidence,"
                " sources = EXCLUDED.sources, held = EXCLUDED.held,"
                " held_reason = EXCLUDED.held_reason, decided_at = now()",
                (product_id, market, supplier_key, name, decision.get("id"), decision.get("path"),
                 float(decision.get("confidence") or 0.0),
                 json.dumps(decision.get("sources") or [], ensure_ascii=False),
                 bool(decision.get("held")), decision.get("held_reason")))

    def decision(self, product_id: int, market: str) -> dict[str, Any] | None:
        with self._connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM category_decisions WHERE product_id = %s AND market = %s",
                        (product_id, market))
            return cur.fetchone()

    def product_for_mapping(self, product_id: int) -> dict[str, Any] | None:
        """Name, supplier and supplier category of one stored product (source_data)."""
        with self._connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT id AS product_id, supplier_key, raw_data->>'name' AS name,"
                " coalesce(raw_data->>'category_path', '') AS supplier_category"
                " FROM source_data WHERE id = %s", (product_id,))
            return cur.fetchone()

    def redecide_similar(self, supplier_key: str, supplier_category: str, tokens: list[str]) -> list[int]:
        """Products of `supplier_key` a new rule covers: their enrichment is marked stale
        (ai_source_hash NULL), so the next enrichment run decides them again, rule first, and
        their listings are rebuilt from the new answer. Returns their ids."""
        from dropship_core.ai.tree_vocab import analyse

        need = set(tokens)
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, raw_data->>'name', coalesce(raw_data->>'category_path', '')"
                " FROM source_data WHERE supplier_key = %s AND ai_source_hash IS NOT NULL",
                (supplier_key,)).fetchall()
            ids = [pid for pid, name, cat in rows
                   if (not supplier_category or cat == supplier_category) and need <= analyse(name or "").words]
            if ids:
                conn.execute("UPDATE source_data SET ai_source_hash = NULL WHERE id = ANY(%s)", (ids,))
        return ids

    def review_queue(self, market: str, limit: int = 50) -> list[dict[str, Any]]:
        """Enriched products whose category for `market` needs a look, most urgent first: held,
        then sources that disagree, then the least confident. Seller-confirmed ones are left out."""
        with self._connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                """
                WITH c AS (
                    SELECT s.id AS product_id, s.supplier_key, s.raw_data->>'name' AS name,
                           s.ai_data->'categories'->%(m)s AS cat
                    FROM source_data s
                    WHERE s.status = 'active' AND s.ai_data->'categories'->%(m)s IS NOT NULL
                      AND jsonb_typeof(s.ai_data->'categories'->%(m)s) = 'object'
                      AND NOT EXISTS (SELECT 1 FROM category_decisions d
                                      WHERE d.product_id = s.id AND d.market = %(m)s
                                        AND d.sources @> '[{"source": "seller"}]')
                )
                SELECT product_id, supplier_key, name, cat->>'id' AS category_id,
                       cat->>'path' AS category_path, (cat->>'confidence')::float AS confidence,
                       coalesce((cat->>'held')::boolean, false) AS held, cat->>'held_reason' AS held_reason,
                       coalesce(cat->'sources', '[]'::jsonb) AS sources,
                       (SELECT count(DISTINCT x->>'id') FROM jsonb_array_elements(
                           coalesce(cat->'sources', '[]'::jsonb)) x WHERE x->>'id' IS NOT NULL) AS answers
                FROM c
                ORDER BY held DESC, answers DESC, confidence ASC, product_id
                LIMIT %(n)s
                """, {"m": market, "n": limit})
            return cur.fetchall()
