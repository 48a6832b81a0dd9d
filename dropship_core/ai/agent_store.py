"""Named store methods for the agents: their inputs, their decisions (agent_decisions, migration
004), the per-market input digest, pending recommendations for people, and the daily briefs."""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

PRODUCT_KINDS = ("price_recommendation", "inventory_alert")


class AgentStore:
    def __init__(self, database_url: str):
        self.database_url = database_url

    def connect(self, **kw) -> psycopg.Connection:
        return psycopg.connect(self.database_url, **kw)

    def listing_rows(self, market: str) -> list[dict[str, Any]]:
        """source_data rows with only this market's entry, for products listed on it."""
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                "SELECT id, supplier_key, raw_data, jsonb_build_object(%s::text, market_data -> %s) AS market_data"
                " FROM source_data WHERE market_data ? %s AND status <> 'deleted' ORDER BY id",
                (market, market, market)).fetchall()

    def approved(self, market: str) -> set[tuple[int, str]]:
        with self.connect() as conn:
            rows = conn.execute("SELECT product_id FROM agent_decisions WHERE market = %s AND status = 'approved'",
                                (market,)).fetchall()
        return {(r[0], market) for r in rows}

    def last_digest(self, market: str) -> str | None:
        with self.connect() as conn:
            row = conn.execute("SELECT digest FROM agent_inputs WHERE market = %s", (market,)).fetchone()
        return row[0] if row else None

    def record_run(self, market: str, run_id: str | None, digest: str, decisions: list[dict[str, Any]],
                   asset_key: str = "agents") -> int:
        """Supersede what waited for a person, store this run's decisions with an event per
        product-level one, and remember the input digest, all in one transaction."""
        status = {"to_apply": "applied"}
        rows = [(run_id, market, d["agent"], d["kind"], d.get("product_id"),
                 status.get(d.get("status"), d.get("status") or "recorded"), Jsonb(d)) for d in decisions]
        with self.connect() as conn, conn.transaction():
            conn.execute("UPDATE agent_decisions SET status = 'superseded', decided_at = now()"
                         " WHERE market = %s AND status IN ('pending_approval', 'approved')", (market,))
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO agent_decisions (run_id, market, agent, kind, product_id, status, payload)"
                                " VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
            ev = [(d["product_id"], d["kind"], Jsonb({"market": market, "agent": d["agent"],
                                                      "decision": {k: v for k, v in d.items() if k != "agent"}}))
                  for d in decisions if d.get("product_id") is not None and d["kind"] in PRODUCT_KINDS]
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO source_data_events (product_id, supplier_key, supplier_item_id, event_type, payload,"
                    " run_id, asset_key, partition_key) SELECT id, supplier_key, supplier_item_id, %s, %s, %s, %s, %s"
                    " FROM source_data WHERE id = %s",
                    [(kind, payload, run_id, asset_key, market, pid) for pid, kind, payload in ev])
            conn.execute("INSERT INTO agent_inputs (market, digest, run_id) VALUES (%s, %s, %s)"
                         " ON CONFLICT (market) DO UPDATE SET digest = EXCLUDED.digest, run_id = EXCLUDED.run_id,"
                         " updated_at = now()", (market, digest, run_id))
        return len(rows)

    def applied_changes(self, market: str, days: int = 60) -> list[dict[str, Any]]:
        """Price changes applied on this market recently, oldest first (for their outcomes)."""
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                "SELECT id, product_id, payload, extract(epoch FROM created_at)::float8 AS at FROM agent_decisions"
                " WHERE market = %s AND kind = 'price_recommendation' AND status = 'applied'"
                " AND created_at > now() - make_interval(days => %s) ORDER BY id", (market, days)).fetchall()

    # ---- people working through the recommendations ---------------------------------------

    @staticmethod
    def _filters(market: str | None, supplier: str | None, reason: str | None,
                 status: str = "pending_approval") -> tuple[str, list[Any]]:
        where, params = ["d.kind = 'price_recommendation'", "d.status = %s"], [status]
        if market:
            where.append("d.market = %s")
            params.append(market)
        if supplier:
            where.append("s.supplier_key = %s")
            params.append(supplier)
        if reason:
            where.append("(d.payload->>'evidence_kind' = %s OR d.payload->>'reasons' ILIKE %s)")
            params += [reason, f"%{reason}%"]
        return " AND ".join(where), params

    def pending(self, market: str | None = None, supplier: str | None = None, reason: str | None = None,
                page: int = 1, page_size: int = 50) -> tuple[int, list[dict[str, Any]]]:
        where, params = self._filters(market, supplier, reason)
        base = f"FROM agent_decisions d JOIN source_data s ON s.id = d.product_id WHERE {where}"
        with self.connect(row_factory=dict_row) as conn:
            total = conn.execute(f"SELECT count(*) AS n {base}", params).fetchone()["n"]
            rows = conn.execute(
                f"SELECT d.id, d.market, d.product_id, s.supplier_key, s.supplier_item_id,"
                f" s.raw_data->>'name' AS name, (d.payload->>'old_price')::int AS old_price,"
                f" (d.payload->>'new_price')::int AS new_price, d.payload->>'change_pct' AS change_pct,"
                f" d.payload->>'evidence_kind' AS evidence_kind, d.payload->'reasons'->>0 AS reason,"
                f" d.payload->'evidence'->>'age_hours' AS evidence_age_h {base}"
                f" ORDER BY d.id LIMIT %s OFFSET %s", params + [page_size, (max(1, page) - 1) * page_size]).fetchall()
        return total, rows

    def decide(self, status: str, ids: Iterable[int] = (), market: str | None = None, supplier: str | None = None,
               reason: str | None = None) -> int:
        """Approve or reject pending price recommendations by id, or all those matching filters."""
        if status not in ("approved", "rejected"):
            raise ValueError("status is 'approved' or 'rejected'")
        where, params = self._filters(market, supplier, reason)
        ids = list(ids)
        if ids:
            where += " AND d.id = ANY(%s)"
            params.append(ids)
        with self.connect() as conn:
            cur = conn.execute(f"UPDATE agent_decisions d SET status = %s, decided_at = now() FROM source_data s"
                               f" WHERE s.id = d.product_id AND {where}", [status, *params])
            return cur.rowcount

    # ---- briefs ---------------------------------------------------------------------------

    def save_brief(self, market: str, day: date, provider: str, model: str | None, text: str,
                   facts: dict[str, Any], run_id: str | None) -> None:
        with self.connect() as conn:
            conn.execute(
                "INSERT INTO agent_briefs (market, day, provider, model, text, facts, run_id)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (market, day) DO UPDATE SET provider ="
                " EXCLUDED.provider, model = EXCLUDED.model, text = EXCLUDED.text, facts = EXCLUDED.facts,"
                " run_id = EXCLUDED.run_id, created_at = now()",
                (market, day, provider, model, text, Jsonb(facts), run_id))

    def latest_briefs(self) -> list[dict[str, Any]]:
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute("SELECT DISTINCT ON (market) market, day, provider, model, text, facts"
                                " FROM agent_briefs ORDER BY market, day DESC").fetchall()
