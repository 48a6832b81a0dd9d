"""The raw landing: a supplier fetch stored as fetched, for the ingest step to read.

`supplier_catalog` lands what a connector returned (products, rejected records, deleted ids, the
next cursor) in `supplier_landing` + `supplier_landing_rows`, tagged with the run that fetched it;
`source_products` reads the pending landings back, oldest first, and ingests them. Steps therefore share nothing but the
database: no step output is pickled to a worker's disk for another step to load.

Landings are append-only; `prune_landings` drops old ones by retention (a count and an age per
supplier partition), never the newest and never one not yet ingested that is less than a day old.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import orjson
from psycopg.rows import dict_row, tuple_row
from psycopg.types.json import Jsonb

from dropship_core.model import CanonicalProduct, canonical_json
from dropship_core.store.base import RunInfo, StoreBase
from dropship_core.suppliers.base import Reject


@dataclass
class Landing:
    """One landed fetch of one supplier partition."""

    id: int
    supplier_key: str
    run_id: str | None
    sync_mode: str | None = None
    complete: bool = False
    unchanged: bool = False
    next_cursor: str | None = None
    deleted_ids: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    # canonical product dicts (the shape `Store.ingest` takes) and rejected records
    products: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    ingested_run_id: str | None = None


_HEADER = ("id, supplier_key, run_id, sync_mode, complete, unchanged, next_cursor, deleted_ids, stats,"
           " ingested_run_id")


class LandingMixin(StoreBase):
    def land_fetch(
        self,
        supplier_key: str,
        run: RunInfo,
        *,
        products: Sequence[CanonicalProduct | dict[str, Any]] = (),
        rejects: Sequence[Reject] = (),
        deleted_ids: Iterable[str] = (),
        next_cursor: str | None = None,
        complete: bool = False,
        unchanged: bool = False,
        sync_mode: str | None = None,
        stats: dict[str, Any] | None = None,
    ) -> int:
        """Append one fetch to the landing in one transaction; returns the landing id."""
        with self.connect() as conn, conn.transaction():
            landing_id = conn.execute(
                "INSERT INTO supplier_landing (supplier_key, run_id, sync_mode, complete, unchanged, next_cursor,"
                " deleted_ids, stats, products, rejects) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (supplier_key, run.run_id, sync_mode, complete, unchanged, next_cursor,
                 Jsonb(list(deleted_ids)), Jsonb(stats or {}), len(products), len(rejects)),
            ).fetchone()[0]
            if products or rejects:
                with conn.cursor().copy(
                    "COPY supplier_landing_rows (landing_id, seq, kind, item) FROM STDIN"
                ) as cp:
                    seq = 0
                    for p in products:
                        d = p.to_dict() if isinstance(p, CanonicalProduct) else p
                        if d["supplier_key"] != supplier_key:
                            raise ValueError(f"product {d['supplier_item_id']} belongs to {d['supplier_key']},"
                                             f" not {supplier_key}")
                        cp.write_row((landing_id, seq, "p", canonical_json(d)))
                        seq += 1
                    for r in rejects:
                        cp.write_row((landing_id, seq, "r",
                                      canonical_json({"reason": r.reason, "raw": r.raw, "source": r.source})))
                        seq += 1
        return landing_id

    def pending_landings(self, supplier_key: str, run_id: str | None) -> list[Landing]:
        """The landings `source_products` should ingest, oldest first, headers only (`load_landing`
        reads the records): this run's newest landing (again, when a retried step already took
        it) and every landing before it not ingested yet; with no landing of this run, every
        landing not ingested yet. An older landing a failed run left behind is thus applied
        before a newer one, never skipped."""
        with self.connect(row_factory=dict_row) as conn:
            own = conn.execute(
                "SELECT max(id) AS id FROM supplier_landing WHERE supplier_key = %s AND run_id = %s",
                (supplier_key, run_id),
            ).fetchone()["id"] if run_id else None
            rows = conn.execute(
                f"SELECT {_HEADER} FROM supplier_landing WHERE supplier_key = %(sk)s"
                " AND ((ingested_run_id IS NULL AND (%(own)s::bigint IS NULL OR id < %(own)s)) OR id = %(own)s)"
                " ORDER BY id",
                {"sk": supplier_key, "own": own},
            ).fetchall()
        return [Landing(**r) for r in rows]

    def load_landing(self, landing: Landing) -> Landing:
        """Fill in a landing's products and rejected records (in the order they were fetched)."""
        landing.products, landing.rejects = [], []
        if landing.unchanged:
            return landing
        with self.connect() as conn, conn.cursor(row_factory=tuple_row) as cur:
            # the JSON text straight into orjson: no per-value adaptation by the driver
            cur.execute("SELECT kind, item::text FROM supplier_landing_rows WHERE landing_id = %s ORDER BY seq",
                        (landing.id,))
            for kind, text in cur:
                d = orjson.loads(text)
                if kind == "p":
                    landing.products.append(d)
                else:
                    landing.rejects.append(Reject(reason=d["reason"], raw=d["raw"], source=d.get("source", "")))
        return landing

    def mark_landing_ingested(self, landing_id: int, run: RunInfo, error: str | None = None) -> None:
        """Record that a run took this landing; with `error`, that it could not be ingested (kept in
        `stats.ingest_error`, so a bad fetch is on record and does not block the next ones)."""
        with self.connect() as conn:
            conn.execute(
                "UPDATE supplier_landing SET ingested_at = now(), ingested_run_id = %s,"
                " stats = CASE WHEN %s::text IS NULL THEN stats ELSE stats || jsonb_build_object('ingest_error', %s::text)"
                " END WHERE id = %s",
                (run.run_id or "", error, error, landing_id),
            )

    def prune_landings(self, supplier_key: str, keep: int, max_age_days: float) -> int:
        """Delete landings of one partition beyond the newest `keep` or older than `max_age_days`;
        the newest always stays, and so does one not yet ingested that is less than a day old."""
        with self.connect() as conn, conn.transaction():
            out = conn.execute(
                """
                WITH ranked AS (
                    SELECT id, landed_at, ingested_at,
                           row_number() OVER (ORDER BY id DESC) AS n
                      FROM supplier_landing WHERE supplier_key = %(sk)s
                )
                DELETE FROM supplier_landing l USING ranked r
                 WHERE l.id = r.id AND r.n > 1
                   AND (r.n > %(keep)s OR r.landed_at < now() - make_interval(secs => %(age)s))
                   AND (r.ingested_at IS NOT NULL OR r.landed_at < now() - interval '1 day')
                RETURNING l.id
                """,
                {"sk": supplier_key, "keep": max(1, keep), "age": max_age_days * 86400.0},
            ).fetchall()
        return len(out)

    def landing_counts(self, supplier_key: str) -> dict[str, int]:
        """Landings kept for a partition and their stored records (for asset metadata)."""
        with self.connect() as conn:
            n, rows = conn.execute(
                "SELECT count(*), coalesce(sum(products + rejects), 0) FROM supplier_landing WHERE supplier_key = %s",
                (supplier_key,),
            ).fetchone()
        return {"landings_kept": int(n), "landed_records_kept": int(rows)}
