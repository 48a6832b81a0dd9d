"""Agents and alerts: what the AI conductor reads and decides, and the alerts of failed runs."""

from __future__ import annotations

from typing import Any, Iterable

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dropship_core.store.base import StoreBase


class AgentsMixin(StoreBase):
    def agent_listing_rows(self, market: str) -> list[dict[str, Any]]:
        """Products listed on `market` and not deleted, with only that market's entry in
        market_data: what the conductor's agents look at."""
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(_AGENT_LISTING_ROWS_SQL, (market, market, market)).fetchall()

    def approved_product_ids(self, market: str) -> set[int]:
        """Products whose price recommendation on `market` a person approved and no run used yet."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT product_id FROM agent_decisions WHERE market = %s AND status = 'approved'", (market,)
            ).fetchall()
        return {r[0] for r in rows}

    def replace_agent_decisions(self, market: str, run_id: str | None, decisions: Iterable[dict[str, Any]]) -> int:
        """Record one conductor run's decisions for `market` in one transaction. Open decisions of
        earlier runs (pending or approved) are superseded: a person's approval is used once.

        Each decision: agent, kind, product_id (or None), status, payload."""
        rows = [(run_id, market, d["agent"], d["kind"], d.get("product_id"), d["status"], Jsonb(d["payload"]))
                for d in decisions]
        with self.connect() as conn, conn.transaction():
            conn.execute(_SUPERSEDE_DECISIONS_SQL, (market,))
            with conn.cursor() as cur:
                cur.executemany(_INSERT_DECISION_SQL, rows)
        return len(rows)

    def agent_decision_counts(self) -> list[tuple[str, str, int]]:
        """(kind, status, count) over every agent decision."""
        with self.connect() as conn:
            return conn.execute(
                "SELECT kind, status, count(*) FROM agent_decisions GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()

    def price_review_rows(self, limit: int = 100000) -> tuple[list[str], list[tuple]]:
        """(columns, rows) of the price recommendations waiting for a person, with the product."""
        with self.connect() as conn:
            cur = conn.execute(_PRICE_REVIEW_SQL, (limit,))
            return [d.name for d in cur.description], cur.fetchall()

    # -- alerts --------------------------------------------------------------------------------
    def alert_recorded(self, kind: str, run_id: str | None) -> bool:
        with self.connect() as conn:
            return conn.execute("SELECT 1 FROM alerts WHERE kind = %s AND run_id = %s",
                                (kind, run_id)).fetchone() is not None

    def record_alert(self, alert: Any, delivered: dict[str, Any]) -> None:
        """An alert (dropship_core.alerts.Alert, already redacted) and where it was delivered; the
        same alert for the same run is recorded once."""
        with self.connect() as conn:
            conn.execute(
                _INSERT_ALERT_SQL,
                (alert.kind, alert.run_id, alert.job_name, alert.partition, alert.message, Jsonb(alert.details),
                 Jsonb(delivered)),
            )


_AGENT_LISTING_ROWS_SQL = """
    SELECT id, supplier_key, raw_data, jsonb_build_object(%s::text, market_data -> %s) AS market_data
      FROM source_data
     WHERE market_data ? %s AND status <> 'deleted'
"""

_SUPERSEDE_DECISIONS_SQL = """
    UPDATE agent_decisions SET status = 'superseded', decided_at = now()
     WHERE market = %s AND status IN ('pending_approval', 'approved')
"""

_INSERT_DECISION_SQL = """
    INSERT INTO agent_decisions (run_id, market, agent, kind, product_id, status, payload)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
"""

_PRICE_REVIEW_SQL = """
SELECT d.id AS decision_id, d.market, s.supplier_key, s.supplier_item_id, s.raw_data->>'name' AS name,
       (s.raw_data->>'cost')::numeric AS cost, (d.payload->>'old_price')::numeric AS old_price,
       (d.payload->>'new_price')::numeric AS new_price,
       round(((d.payload->>'new_price')::numeric - (d.payload->>'old_price')::numeric)
             / nullif((d.payload->>'old_price')::numeric, 0), 4) AS price_change_rate,
       coalesce(d.payload->'reasons'->>0, '') AS reason, d.created_at
FROM agent_decisions d LEFT JOIN source_data s ON s.id = d.product_id
WHERE d.kind = 'price_recommendation' AND d.status = 'pending_approval'
ORDER BY d.id LIMIT %s
"""

_INSERT_ALERT_SQL = """
    INSERT INTO alerts (kind, run_id, job_name, partition, message, details, delivered)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (kind, run_id) DO NOTHING
"""
