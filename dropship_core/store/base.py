"""What every part of the store shares: the connection, the schema check, the run that caused a
change, and the SQL fragment that diffs two JSON objects.

Constructing a store touches no database. The schema is brought up to date by an explicit step
(`Store.migrate()`, `dropship db migrate`, the code location at load); a store used against a
database that lacks a migration stops at its first connection with a message naming the command,
instead of a raw "relation does not exist" deep inside a query.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable

import psycopg

from dropship_core.db import redact_url
from dropship_core.store.migrate import MigrationError, apply_migrations, pending_migrations


class SchemaNotMigrated(MigrationError):
    """The database lacks migrations this code needs; `dropship db migrate` applies them."""


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

    COUNTS = ("received", "new", "changed", "unchanged", "delisted", "quarantined")

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.COUNTS}


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# The diff between two JSON objects at the top level, as {key: [old, new]}; `raw` (the supplier's
# own payload) is left out because every change touches it and people want the meaningful fields.
_DIFF_SQL = """
    (SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_array(o.value, n.value)), '{{}}'::jsonb)
       FROM jsonb_each({new}) n LEFT JOIN jsonb_each({old}) o ON o.key = n.key
      WHERE n.key <> 'raw' AND o.value IS DISTINCT FROM n.value)
"""


def stage_rows(conn: psycopg.Connection, table: str, columns: str, rows: Iterable[tuple]) -> None:
    """COPY rows into a temporary table of this transaction (emptied at commit). `columns` is
    the table's column list with types, e.g. "id BIGINT, entry JSONB"."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({columns}) ON COMMIT DELETE ROWS")
    names = ", ".join(c.split()[0] for c in columns.split(","))
    with conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


class StoreBase:
    def __init__(self, database_url: str):
        self.database_url = database_url
        self._schema_checked = False
        self._local = threading.local()

    # -- connections -----------------------------------------------------------------------
    def connect(self, **kw) -> psycopg.Connection:
        """A connection to the store; the first one checks that the schema is migrated."""
        if not self._schema_checked:
            self.check_schema()
        return psycopg.connect(self.database_url, **kw)

    def read(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        """Rows of one read-only query on this thread's kept connection (autocommit, so it never
        holds a transaction open): hot lookups skip the connection setup, which costs more than
        an index-backed query. A connection that went away is replaced once."""
        from psycopg.rows import dict_row

        for attempt in (0, 1):
            conn = getattr(self._local, "conn", None)
            if conn is None or conn.closed:
                if not self._schema_checked:
                    self.check_schema()
                conn = self._local.conn = psycopg.connect(self.database_url, autocommit=True, row_factory=dict_row)
            try:
                return conn.execute(sql, params).fetchall()
            except psycopg.OperationalError:
                conn.close()
                if attempt:
                    raise
        return []

    # -- schema ----------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply pending migrations; return the names applied now (empty when up to date)."""
        with psycopg.connect(self.database_url) as conn:
            applied = apply_migrations(conn)
        self._schema_checked = True
        return applied

    def pending_migrations(self) -> list[str]:
        with psycopg.connect(self.database_url) as conn:
            return pending_migrations(conn)

    def check_schema(self) -> None:
        """Raise SchemaNotMigrated when a migration has not been applied to this database."""
        pending = self.pending_migrations()
        if pending:
            shown = ", ".join(pending[:3]) + (f" and {len(pending) - 3} more" if len(pending) > 3 else "")
            raise SchemaNotMigrated(
                f"the store at {redact_url(self.database_url)} lacks {len(pending)} migration(s) ({shown});"
                " run `dropship db migrate`"
            )
        self._schema_checked = True
