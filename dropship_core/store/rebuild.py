"""Rebuild `source_data` from `source_data_events` and compare it with the live table.

Each event's payload carries `set`: the values it gave to columns (content_hash, status, ai_data,
ai_source_hash) or to market_data keys; an event that changed raw_data carries the new document
in `snapshot`. Replaying the last value per column and per market key, in event order, yields
the projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

_COLUMNS = ("raw_data", "content_hash", "status", "ai_data", "ai_source_hash")

_REBUILD_SQL = """
CREATE TEMP TABLE source_data_rebuilt ON COMMIT DROP AS
WITH ident AS (
    SELECT product_id, min(supplier_key) AS supplier_key, min(supplier_item_id) AS supplier_item_id
      FROM source_data_events GROUP BY product_id
),
{column_ctes},
mk AS (
    SELECT DISTINCT ON (e.product_id, k.key) e.product_id, k.key, k.value
      FROM source_data_events e, jsonb_each(e.payload -> 'set' -> 'market_data') k
     WHERE e.payload -> 'set' ? 'market_data'
     ORDER BY e.product_id, k.key, e.id DESC
),
md AS (SELECT product_id, jsonb_object_agg(key, value) AS market_data FROM mk GROUP BY product_id)
SELECT i.product_id AS id, i.supplier_key, i.supplier_item_id,
       {column_selects},
       coalesce(md.market_data, '{{}}'::jsonb) AS market_data
  FROM ident i
  {column_joins}
  LEFT JOIN md ON md.product_id = i.product_id
"""


def _sql() -> str:
    ctes, selects, joins = [], [], []
    ctes.append(
        "c_raw_data AS (SELECT DISTINCT ON (product_id) product_id, snapshot AS v"
        " FROM source_data_events WHERE snapshot IS NOT NULL ORDER BY product_id, id DESC)"
    )
    selects.append("c_raw_data.v AS raw_data")
    joins.append("LEFT JOIN c_raw_data ON c_raw_data.product_id = i.product_id")
    for c in _COLUMNS:
        if c == "raw_data":
            continue
        cast = "" if c in ("raw_data", "ai_data") else " #>> '{}'"
        ctes.append(
            f"c_{c} AS (SELECT DISTINCT ON (product_id) product_id, payload -> 'set' -> '{c}'{cast} AS v"
            f" FROM source_data_events WHERE payload -> 'set' ? '{c}' ORDER BY product_id, id DESC)"
        )
        selects.append(f"c_{c}.v AS {c}")
        joins.append(f"LEFT JOIN c_{c} ON c_{c}.product_id = i.product_id")
    return _REBUILD_SQL.format(
        column_ctes=",\n".join(ctes), column_selects=", ".join(selects), column_joins="\n  ".join(joins)
    )


@dataclass
class RebuildReport:
    live_rows: int
    rebuilt_rows: int
    mismatched: int
    sample: list[dict] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return self.mismatched == 0 and self.live_rows == self.rebuilt_rows


def rebuild(conn: psycopg.Connection, *, apply: bool = False) -> RebuildReport:
    """Replay the events; report differences; with apply=True, make the live table equal the replay."""
    cols = ("supplier_key", "supplier_item_id") + _COLUMNS + ("market_data",)
    cmp = " OR ".join(f"l.{c} IS DISTINCT FROM r.{c}" for c in cols)
    with conn.transaction():
        if apply:
            # excepted by design from the append-only guard on source_data_events (migration 010)
            conn.execute("SET LOCAL dropship.events_rewrite = 'on'")
        conn.execute("LOCK TABLE source_data IN SHARE ROW EXCLUSIVE MODE")
        conn.execute(_sql())
        live = conn.execute("SELECT count(*) FROM source_data").fetchone()[0]
        rebuilt = conn.execute("SELECT count(*) FROM source_data_rebuilt").fetchone()[0]
        diffs = conn.execute(
            f"""
            SELECT coalesce(l.id, r.id) AS id, l.id IS NULL AS missing_live, r.id IS NULL AS missing_rebuilt
              FROM source_data l FULL JOIN source_data_rebuilt r ON r.id = l.id
             WHERE l.id IS NULL OR r.id IS NULL OR {cmp}
             ORDER BY 1
            """
        ).fetchall()
        report = RebuildReport(
            live_rows=live, rebuilt_rows=rebuilt, mismatched=len(diffs),
            sample=[{"id": d[0], "missing_live": d[1], "missing_rebuilt": d[2]} for d in diffs[:10]],
        )
        if apply and diffs:
            conn.execute(
                f"""
                INSERT INTO source_data AS l (id, {", ".join(cols)})
                SELECT id, {", ".join(cols)} FROM source_data_rebuilt
                ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in cols)}, updated_at = now()
                """
            )
            conn.execute("DELETE FROM source_data WHERE id NOT IN (SELECT id FROM source_data_rebuilt)")
            report.applied = True
    return report
