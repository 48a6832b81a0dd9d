"""Ingest: supplier catalogs into `source_data`, with their events, quarantine and sync state.

New rows are COPYed (binary) straight into source_data with reserved ids, changed rows go through a
staging table and one set-based UPDATE; unchanged input writes nothing. One import is one
transaction on one connection.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, Iterable, Sequence

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dropship_core import config
from dropship_core.model import STATUS_DELETED, CanonicalProduct, canonical_bytes, canonical_json
from dropship_core.suppliers.base import Reject
from dropship_core.store.base import _DIFF_SQL, IngestResult, RunInfo, StoreBase


# New rows per COPY statement (all in the import's one transaction).
COPY_CHUNK = 50_000


class StaleSourceDigest(RuntimeError):
    """A product the reader skipped as unchanged (its source row digest) changed in the store
    before the import's transaction: read the file again without skipping."""


def _hashes(rows: Sequence[tuple]) -> list[str]:
    """The content hash of every row: of its JSON, or for a product the reader did not build again
    (excel_fetch.Unchanged) the stored hash it carries."""
    blake = hashlib.blake2b
    return [row[1] if row[1].__class__ is str else blake(row[1], digest_size=16).hexdigest() for row in rows]


_NOT_STORED = (None, None, None)


class IngestMixin(StoreBase):
    def existing_hashes(self, conn: psycopg.Connection, supplier_key: str) -> dict[str, tuple[str, str, str]]:
        """item id -> (item id, content hash, status) of every stored product of the supplier (the
        driver's rows as they come, binary: the cheapest way to them)."""
        rows = conn.execute(
            "SELECT supplier_item_id, content_hash, status FROM source_data WHERE supplier_key = %s",
            (supplier_key,), binary=True,
        ).fetchall()
        return {r[0]: r for r in rows}

    def source_row_digests(self, supplier_key: str) -> dict[str, tuple[str, str, str]]:
        """item id -> (source row digest, content hash, status) of the supplier's stored products
        whose digest is still valid (recorded with their current content, not delisted): what
        `ExcelCatalog.fetch_prepared(known=...)` skips building again."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT supplier_item_id, split_part(source_row_digest, '@', 1), content_hash, status"
                "  FROM source_data WHERE supplier_key = %s AND status <> 'deleted'"
                "   AND split_part(source_row_digest, '@', 2) = content_hash",
                (supplier_key,), binary=True,
            ).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

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
        prepared: list[tuple[str, bytes, str]] = []
        for p in products:
            d = p.to_dict() if isinstance(p, CanonicalProduct) else p
            if d["supplier_key"] != supplier_key:
                raise ValueError(f"product {d['supplier_item_id']} belongs to {d['supplier_key']}, not {supplier_key}")
            prepared.append((d["supplier_item_id"], canonical_bytes(d), d["status"]))
        return self.ingest_prepared(supplier_key, prepared, run, complete=complete, deleted_ids=deleted_ids)

    def ingest_prepared(
        self,
        supplier_key: str,
        rows: Sequence[tuple[str, bytes, str]],
        run: RunInfo,
        *,
        complete: bool = False,
        deleted_ids: Iterable[str] = (),
    ) -> IngestResult:
        """`ingest` for products already serialised: (supplier_item_id, canonical JSON bytes,
        status, ...) rows, as the Excel reader gives them. Hashes are compared with the stored ones in one
        read, and everything lands in ONE transaction: a killed import leaves nothing half-visible."""
        res = IngestResult(received=len(rows))
        seen = {row[0] for row in rows}
        if len(seen) != len(rows):
            first: set[str] = set()
            item_id = next(row[0] for row in rows if row[0] in first or first.add(row[0]))
            raise ValueError(f"duplicate supplier_item_id {item_id!r} in one batch for {supplier_key}")
        hashes = _hashes(rows)
        with self.connect() as conn:
            with conn.transaction():
                # One writer per supplier partition at a time; other suppliers proceed in parallel.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('ingest:' || %s))", (supplier_key,))
                existing = self.existing_hashes(conn, supplier_key)
                # (item id, JSON, content hash, status, source row digest) of the new and changed
                todo = [(row[0], row[1], h, row[2], row[5] if len(row) > 5 else None)
                        for row, h in zip(rows, hashes) if existing.get(row[0], _NOT_STORED)[1] != h]
                if any(isinstance(row[1], str) for row in todo):
                    raise StaleSourceDigest(f"{supplier_key}: a product skipped as unchanged changed in the store since")
                res.unchanged = len(rows) - len(todo)
                if todo:
                    new, changed = self._upsert_raw(conn, supplier_key, todo, run, existing)
                    res.new, res.changed = len(new), len(changed)
                    res.new_ids, res.changed_ids = new, changed
                gone = set(deleted_ids)
                if complete:
                    gone |= {k for k, r in existing.items() if r[2] != STATUS_DELETED} - seen
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

    def _copy_new(self, conn, supplier_key: str, rows, params) -> None:
        """COPY new products straight into source_data with reserved ids, then their events,
        copying the stored JSONB instead of parsing it again."""
        start = self._reserve_ids(conn, len(rows))
        for lo in range(0, len(rows), COPY_CHUNK):
            # binary COPY (the server takes its fields as they come; text format has it unescape
            # every field, dearer at catalog scale); a jsonb field in binary is the version byte 1
            # and the JSON text
            with conn.cursor().copy(
                "COPY source_data (id, supplier_key, supplier_item_id, raw_data, content_hash, status,"
                " source_row_digest) FROM STDIN (FORMAT BINARY)"
            ) as cp:
                cp.set_types(["int8", "text", "text", "bytea", "text", "text", "text"])
                for pid, (item_id, data, h, status, dg) in enumerate(rows[lo:lo + COPY_CHUNK], start + lo):
                    cp.write_row((pid, supplier_key, item_id, b"\x01" + data, h, status, f"{dg}@{h}" if dg else None))
        # the new rows in id order straight from the primary key: a scan and a sort of them all would
        # spill to disk at catalog scale (the sort needs more than work_mem)
        before = conn.execute("SELECT current_setting('enable_seqscan'), current_setting('enable_bitmapscan'),"
                              " set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)"
                              ).fetchone()
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
        conn.execute("SELECT set_config('enable_seqscan', %s, true), set_config('enable_bitmapscan', %s, true)",
                     before[:2])

    def _upsert_raw(self, conn, supplier_key: str, rows: list[tuple[str, bytes, str, str, Any]], run: RunInfo,
                    existing: dict[str, tuple[str, str, str]]):
        """New rows are COPYed straight into source_data with pre-allocated ids; changed rows go
        through a staging table and one UPDATE. Events are written set-based from what landed,
        copying the stored JSONB instead of parsing it again."""
        params = {"sk": supplier_key, "run": run.run_id, "asset": run.asset_key, "part": run.partition_key}
        fresh = [r for r in rows if r[0] not in existing]
        changed_rows = [r for r in rows if r[0] in existing]
        new_ids: list[str] = []
        if fresh:
            self._copy_new(conn, supplier_key, fresh, params)
            new_ids = [r[0] for r in fresh]
        changed: list[str] = []
        if changed_rows:
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS staging_products ("
                " supplier_item_id TEXT, raw_data JSONB, content_hash TEXT, status TEXT, source_row_digest TEXT)"
                " ON COMMIT DELETE ROWS"
            )
            with conn.cursor().copy(
                "COPY staging_products (supplier_item_id, raw_data, content_hash, status, source_row_digest)"
                " FROM STDIN (FORMAT BINARY)"
            ) as cp:
                cp.set_types(["text", "bytea", "text", "text", "text"])
                for item_id, data, h, status, dg in changed_rows:
                    cp.write_row((item_id, b"\x01" + data, h, status, f"{dg}@{h}" if dg else None))
            diff = _DIFF_SQL.format(new="s.raw_data", old="o.raw_data")
            out = conn.execute(
                f"""
                WITH old AS (
                    SELECT d.id, d.raw_data, d.status
                      FROM source_data d JOIN staging_products s USING (supplier_item_id)
                     WHERE d.supplier_key = %(sk)s
                ), up AS (
                    UPDATE source_data d
                       SET raw_data = s.raw_data, content_hash = s.content_hash, status = s.status,
                           source_row_digest = s.source_row_digest, updated_at = now()
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
    def quarantine(self, supplier_key: str, rejects: Sequence[Any], run: RunInfo, *,
                   max_rows: int | None = None) -> int:
        """Record rejected records with their reason. The same record seen again is not duplicated.
        At most `max_rows` (DROPSHIP_QUARANTINE_MAX_PER_FILE) are stored for one batch; the rest
        are counted, by reason, in one summary row. Returns how many were rejected in all."""
        if not rejects:
            return 0
        limit = int(config.get("DROPSHIP_QUARANTINE_MAX_PER_FILE")) if max_rows is None else max_rows
        kept = list(rejects[:limit])
        if len(rejects) > limit:
            reasons = Counter(r.reason.split(":")[0] for r in rejects[limit:])
            kept.append(Reject(
                reason=f"{len(rejects) - limit} more rejected records not stored (limit {limit} per file)",
                raw={"not_stored": len(rejects) - limit, "by_reason": dict(reasons.most_common(20)),
                     "first_source": rejects[limit].source},
                source=rejects[limit].source.split(":row")[0] + ":summary"))
        rows = []
        for r in kept:
            # the store cannot hold NUL: shown as U+FFFD in the kept record
            raw_text = canonical_json(r.raw).replace("\\u0000", "\\ufffd")
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
        return len(rejects)

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
