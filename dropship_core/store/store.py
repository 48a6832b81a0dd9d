"""The event-sourced product store.

`source_data` is the current state, a projection of `source_data_events`. Every write path here
appends the events that explain it in the same transaction, so the projection can always be
rebuilt (`rebuild`) and compared with the live table.

Hot paths (`ingest`, `set_ai_data`, `set_market_entries`) compare content hashes first, COPY
only new or changed rows into a temporary staging table, then run one set-based statement that
upserts and writes events together. Unchanged input writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dropship_core.model import STATUS_DELETED, CanonicalProduct, canonical_bytes, canonical_json
from dropship_core.store.migrate import apply_migrations


# New rows in one batch from which the insert is split over two connections.
PARALLEL_INSERT_MIN = 20_000


@dataclass(frozen=True)
class RunInfo:
    """Who caused a change: recorded on every event and quarantine row."""

    run_id: str | None = None
    asset_key: str | None = None
    partition_key: str | None = None

    @classmethod
    def cli(cls, command: str) -> "RunInfo":
        return cls(run_id=None, asset_key=f"cli:{command}", partition_key=None)


@dataclass
class IngestResult:
    received: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    delisted: int = 0
    quarantined: int = 0
    new_ids: list[str] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "received": self.received,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "delisted": self.delisted,
            "quarantined": self.quarantined,
        }


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# The diff between two JSON objects at the top level, as {key: [old, new]}; `raw` (the supplier's
# own payload) is left out because every change touches it and people want the meaningful fields.
_DIFF_SQL = """
    (SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_array(o.value, n.value)), '{{}}'::jsonb)
       FROM jsonb_each({new}) n LEFT JOIN jsonb_each({old}) o ON o.key = n.key
      WHERE n.key <> 'raw' AND o.value IS DISTINCT FROM n.value)
"""


class Store:
    def __init__(self, database_url: str, *, migrate: bool = True):
        self.database_url = database_url
        if migrate:
            with self.connect() as conn:
                apply_migrations(conn)

    # -- connections -----------------------------------------------------------------------
    def connect(self, **kw) -> psycopg.Connection:
        return psycopg.connect(self.database_url, **kw)

    # -- ingest ----------------------------------------------------------------------------
    def existing_hashes(self, conn: psycopg.Connection, supplier_key: str) -> dict[str, tuple[str, str]]:
        rows = conn.execute(
            "SELECT supplier_item_id, content_hash, status FROM source_data WHERE supplier_key = %s",
            (supplier_key,),
        ).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def ingest(
        self,
        supplier_key: str,
        products: Sequence[CanonicalProduct | dict[str, Any]],
        run: RunInfo,
        *,
        complete: bool = False,
        deleted_ids: Iterable[str] = (),
    ) -> IngestResult:
        """Upsert a batch of canonical products for one supplier partition.

        complete=True means `products` is the whole catalog: active items missing from it are
        delisted (status `deleted`, with a `delisted` event), never silently dropped.
        """
        res = IngestResult(received=len(products))
        prepared: list[tuple[str, str, str, str]] = []
        seen: set[str] = set()
        for p in products:
            d = p.to_dict() if isinstance(p, CanonicalProduct) else p
            if d["supplier_key"] != supplier_key:
                raise ValueError(f"product {d['supplier_item_id']} belongs to {d['supplier_key']}, not {supplier_key}")
            item_id = d["supplier_item_id"]
            if item_id in seen:
                raise ValueError(f"duplicate supplier_item_id {item_id!r} in one batch for {supplier_key}")
            seen.add(item_id)
            data = canonical_bytes(d)
            prepared.append((item_id, data.decode(), hashlib.blake2b(data, digest_size=16).hexdigest(), d["status"]))

        with self.connect() as conn:
            with conn.transaction():
                # One writer per supplier partition at a time; other suppliers proceed in parallel.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('ingest:' || %s))", (supplier_key,))
                existing = self.existing_hashes(conn, supplier_key)
                todo = [row for row in prepared if existing.get(row[0], (None,))[0] != row[2]]
                res.unchanged = len(prepared) - len(todo)
                if todo:
                    new, changed = self._upsert_raw(conn, supplier_key, todo, run, existing)
                    res.new, res.changed = len(new), len(changed)
                    res.new_ids, res.changed_ids = new, changed
                gone = set(deleted_ids)
                if complete:
                    gone |= {k for k, (_, status) in existing.items() if status != STATUS_DELETED} - seen
                if gone:
                    res.delisted = self._delist(conn, supplier_key, sorted(gone), run)
        return res

    def _reserve_ids(self, conn, n: int) -> int:
        """A block of n consecutive ids; every insert into source_data goes through here."""
        conn.execute("SELECT pg_advisory_lock(4242002)")
        try:
            start = conn.execute("SELECT nextval(pg_get_serial_sequence('source_data', 'id'))").fetchone()[0]
            if n > 1:
                conn.execute("SELECT setval(pg_get_serial_sequence('source_data', 'id'), %s)", (start + n - 1,))
        finally:
            conn.execute("SELECT pg_advisory_unlock(4242002)")
        return start

    def _copy_new_own_txn(self, supplier_key: str, rows, params) -> None:
        with self.connect() as conn, conn.transaction():
            self._copy_new(conn, supplier_key, rows, params)

    def _copy_new(self, conn, supplier_key: str, rows, params) -> None:
        """COPY new products straight into source_data with reserved ids, then their events,
        copying the stored JSONB instead of parsing it again."""
        start = self._reserve_ids(conn, len(rows))
        with conn.cursor().copy(
            "COPY source_data (id, supplier_key, supplier_item_id, raw_data, content_hash, status) FROM STDIN"
        ) as cp:
            for pid, (item_id, text, h, status) in enumerate(rows, start):
                cp.write_row((pid, supplier_key, item_id, text, h, status))
        conn.execute(
            """
            INSERT INTO source_data_events
                (product_id, supplier_key, supplier_item_id, event_type, payload, snapshot, run_id, asset_key,
                 partition_key)
            SELECT id, supplier_key, supplier_item_id, 'ingested',
                   jsonb_build_object('set', jsonb_build_object('content_hash', content_hash, 'status', status)),
                   raw_data, %(run)s, %(asset)s, %(part)s
              FROM source_data WHERE id BETWEEN %(lo)s AND %(hi)s
             ORDER BY id
            """,
            {**params, "lo": start, "hi": start + len(rows) - 1},
        )

    def _upsert_raw(self, conn, supplier_key: str, rows: list[tuple[str, str, str, str]], run: RunInfo,
                    existing: dict[str, tuple[str, str]]):
        """New rows are COPYed straight into source_data with pre-allocated ids; changed rows go
        through a staging table and one UPDATE. Events are written set-based from what landed,
        copying the stored JSONB instead of parsing it again."""
        params = {"sk": supplier_key, "run": run.run_id, "asset": run.asset_key, "part": run.partition_key}
        fresh = [r for r in rows if r[0] not in existing]
        changed_rows = [r for r in rows if r[0] in existing]
        new_ids: list[str] = []
        if fresh:
            if len(fresh) < PARALLEL_INSERT_MIN:
                self._copy_new(conn, supplier_key, fresh, params)
            else:
                # a large first load: halves in two connections, so both cores parse and index.
                # Each half commits on its own; a crash in between is healed by re-running, since
                # rows already stored have matching hashes and are skipped.
                half = len(fresh) // 2
                with ThreadPoolExecutor(max_workers=2) as pool:
                    futures = [pool.submit(self._copy_new_own_txn, supplier_key, chunk, params)
                               for chunk in (fresh[:half], fresh[half:])]
                    for f in futures:
                        f.result()
            new_ids = [r[0] for r in fresh]
        changed: list[str] = []
        if changed_rows:
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS staging_products ("
                " supplier_item_id TEXT, raw_data JSONB, content_hash TEXT, status TEXT) ON COMMIT DELETE ROWS"
            )
            with conn.cursor().copy(
                "COPY staging_products (supplier_item_id, raw_data, content_hash, status) FROM STDIN"
            ) as cp:
                for r in changed_rows:
                    cp.write_row(r)
            diff = _DIFF_SQL.format(new="s.raw_data", old="o.raw_data")
            out = conn.execute(
                f"""
                WITH old AS (
                    SELECT d.id, d.raw_data, d.status
                      FROM source_data d JOIN staging_products s USING (supplier_item_id)
                     WHERE d.supplier_key = %(sk)s
                ), up AS (
                    UPDATE source_data d
                       SET raw_data = s.raw_data, content_hash = s.content_hash, status = s.status, updated_at = now()
                      FROM staging_products s
                     WHERE d.supplier_key = %(sk)s AND d.supplier_item_id = s.supplier_item_id
                       AND d.content_hash IS DISTINCT FROM s.content_hash
                    RETURNING d.id, d.supplier_item_id
                ), ev AS (
                    INSERT INTO source_data_events
                        (product_id, supplier_key, supplier_item_id, event_type, payload, snapshot, run_id, asset_key,
                         partition_key)
                    SELECT up.id, %(sk)s, up.supplier_item_id, 'changed',
                           jsonb_build_object('set', jsonb_build_object('content_hash', s.content_hash, 'status', s.status),
                                              'diff', {diff}),
                           s.raw_data, %(run)s, %(asset)s, %(part)s
                      FROM up JOIN staging_products s USING (supplier_item_id) JOIN old o ON o.id = up.id
                    RETURNING 1
                )
                SELECT up.supplier_item_id FROM up
                """,
                params,
            ).fetchall()
            changed = [r[0] for r in out]
        return new_ids, changed

    def _delist(self, conn, supplier_key: str, item_ids: list[str], run: RunInfo) -> int:
        # The hash changes too, so the same item coming back later counts as a change.
        out = conn.execute(
            """
            WITH up AS (
                UPDATE source_data
                   SET status = 'deleted', raw_data = jsonb_set(raw_data, '{status}', '"deleted"'),
                       content_hash = 'deleted:' || content_hash, updated_at = now()
                 WHERE supplier_key = %(sk)s AND supplier_item_id = ANY(%(ids)s) AND status <> 'deleted'
                RETURNING id, supplier_item_id, raw_data, content_hash, status
            )
            INSERT INTO source_data_events
                (product_id, supplier_key, supplier_item_id, event_type, payload, snapshot, run_id, asset_key,
                 partition_key)
            SELECT id, %(sk)s, supplier_item_id, 'delisted',
                   jsonb_build_object('set', jsonb_build_object('content_hash', content_hash, 'status', status),
                                      'diff', jsonb_build_object('status', jsonb_build_array('active', 'deleted'))),
                   raw_data, %(run)s, %(asset)s, %(part)s
              FROM up
            RETURNING 1
            """,
            {"sk": supplier_key, "ids": item_ids, "run": run.run_id, "asset": run.asset_key, "part": run.partition_key},
        ).fetchall()
        return len(out)

    # -- quarantine ------------------------------------------------------------------------
    def quarantine(self, supplier_key: str, rejects: Sequence[Any], run: RunInfo) -> int:
        """Record rejected records with their reason. The same record seen again is not duplicated."""
        if not rejects:
            return 0
        rows = []
        for r in rejects:
            raw_text = canonical_json(r.raw)
            h = hashlib.blake2b(f"{r.source}\x00{r.reason}\x00{raw_text}".encode(), digest_size=16).hexdigest()
            rows.append((supplier_key, r.source, r.reason, raw_text, h, run.run_id, run.asset_key, run.partition_key))
        with self.connect() as conn, conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(
                    """
                    INSERT INTO quarantine (supplier_key, source, reason, raw, record_hash, run_id, asset_key, partition_key)
                    VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s, %s)
                    ON CONFLICT (supplier_key, record_hash) DO UPDATE
                       SET last_seen = now(), run_id = EXCLUDED.run_id, resolved_at = NULL
                    """,
                    rows,
                )
        return len(rows)

    def quarantined(self, supplier_key: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                "SELECT id, supplier_key, source, reason, raw, run_id, first_seen, last_seen FROM quarantine"
                " WHERE resolved_at IS NULL AND (%(sk)s::text IS NULL OR supplier_key = %(sk)s)"
                " ORDER BY id LIMIT %(lim)s",
                {"sk": supplier_key, "lim": limit},
            ).fetchall()

    # -- supplier sync state ---------------------------------------------------------------
    def supplier_state(self, supplier_key: str) -> dict[str, Any] | None:
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute("SELECT * FROM supplier_state WHERE supplier_key = %s", (supplier_key,)).fetchone()

    def save_supplier_state(
        self, supplier_key: str, run: RunInfo, *, cursor: str | None = None, source_digest: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        with self.connect() as conn:
            conn.execute(
                """
                INSERT INTO supplier_state (supplier_key, cursor, source_digest, last_success, last_run_id, details)
                VALUES (%s, %s, %s, now(), %s, %s)
                ON CONFLICT (supplier_key) DO UPDATE
                   SET cursor = coalesce(EXCLUDED.cursor, supplier_state.cursor),
                       source_digest = coalesce(EXCLUDED.source_digest, supplier_state.source_digest),
                       last_success = now(), last_run_id = EXCLUDED.last_run_id,
                       details = supplier_state.details || EXCLUDED.details
                """,
                (supplier_key, cursor, source_digest, run.run_id, Jsonb(details or {})),
            )

    # -- enrichment ------------------------------------------------------------------------
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
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS staging_ai (id BIGINT, ai_data JSONB, ai_source_hash TEXT)"
                " ON COMMIT DELETE ROWS"
            )
            with conn.cursor().copy("COPY staging_ai (id, ai_data, ai_source_hash) FROM STDIN") as cp:
                for pid, ai, h in rows:
                    cp.write_row((pid, _json(ai), h))
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

    # -- listings --------------------------------------------------------------------------
    def listing_inputs(self, supplier_key: str, market: str, input_suffix: str) -> list[dict[str, Any]]:
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
                 WHERE supplier_key = %(sk)s AND ai_source_hash IS NOT NULL
                   AND (market_data -> %(m)s ->> 'input_key') IS DISTINCT FROM
                       ai_source_hash || ':' || %(sfx)s
                           || coalesce(':' || (market_data -> %(m)s ->> 'price_override'), '')
                 ORDER BY id
                """,
                {"sk": supplier_key, "m": market, "sfx": input_suffix},
            ).fetchall()

    def set_market_entries(
        self, market: str, rows: Sequence[tuple[int, dict[str, Any]]], run: RunInfo, event_type: str = "listed"
    ) -> int:
        """rows: (product id, the whole new market_data[market] entry). Event per changed entry."""
        if not rows:
            return 0
        with self.connect() as conn, conn.transaction():
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS staging_market (id BIGINT, entry JSONB) ON COMMIT DELETE ROWS"
            )
            with conn.cursor().copy("COPY staging_market (id, entry) FROM STDIN") as cp:
                for pid, entry in rows:
                    cp.write_row((pid, _json(entry)))
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

    # -- the seed's query API --------------------------------------------------------------
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
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                "SELECT * FROM source_data WHERE (market_data -> %s ->> 'status') = 'published'"
                " AND status = 'active' ORDER BY id LIMIT %s",
                (market, limit),
            ).fetchall()

    def with_ai_score_above(self, threshold: float, limit: int | None = None) -> list[dict[str, Any]]:
        with self.connect(row_factory=dict_row) as conn:
            return conn.execute(
                "SELECT * FROM source_data WHERE (ai_data ->> 'quality_score')::numeric > %s"
                " ORDER BY (ai_data ->> 'quality_score')::numeric DESC, id LIMIT %s",
                (threshold, limit),
            ).fetchall()

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
        market_stats: dict[str, dict[str, int]] = {}
        for m, st, n in markets:
            market_stats.setdefault(m, {})[st or "unknown"] = n
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
