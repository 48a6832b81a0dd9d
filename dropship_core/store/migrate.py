"""Versioned schema migrations: plain SQL files applied in filename order, each once.

Migrating is an explicit step: `dropship db migrate`, `Store.migrate()`, and the code location
once at load run `apply_migrations`; a store whose database lacks one stops with a clear error
(`pending_migrations`). Applied versions are recorded in `schema_migrations` with the file's
checksum, so an edited migration is reported instead of silently skipped.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import psycopg

MIGRATIONS_PACKAGE = "dropship_core.store"


class MigrationError(RuntimeError):
    pass


def migration_files() -> list[tuple[str, str]]:
    root = resources.files(MIGRATIONS_PACKAGE) / "migrations"
    files = sorted((p.name, p.read_text(encoding="utf-8")) for p in root.iterdir() if p.name.endswith(".sql"))
    return files


def apply_migrations(conn: psycopg.Connection, files: list[tuple[str, str]] | None = None) -> list[str]:
    """Apply pending migrations in one transaction each; return the names applied now."""
    files = files if files is not None else migration_files()
    with conn.transaction():
        # Two processes migrating at once (the UI and a CLI command) serialise on this lock.
        conn.execute("SELECT pg_advisory_xact_lock(4242001)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version TEXT PRIMARY KEY, checksum TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())
        applied: list[str] = []
        for name, sql in files:
            checksum = hashlib.sha256(sql.encode()).hexdigest()[:16]
            if name in done:
                if done[name] != checksum:
                    raise MigrationError(
                        f"migration {name} changed after it was applied; add a new migration instead"
                    )
                continue
            try:
                conn.execute(sql)
            except psycopg.Error as e:
                raise MigrationError(f"migration {name} failed: {e}") from e
            conn.execute("INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)", (name, checksum))
            applied.append(name)
    return applied


def pending_migrations(conn: psycopg.Connection, files: list[tuple[str, str]] | None = None) -> list[str]:
    """Names of the migrations not yet applied to this database, in order."""
    files = files if files is not None else migration_files()
    # Only the schema the store writes to counts: with a search_path such as `tenant,public`, a
    # schema_migrations table in public must not make the tenant's schema look migrated.
    table = conn.execute("SELECT to_regclass(format('%I.schema_migrations', current_schema()))").fetchone()[0]
    if table is None:
        done: set[str] = set()
    else:
        done = {r[0] for r in conn.execute(f"SELECT version FROM {table}").fetchall()}
    return [name for name, _ in files if name not in done]


def migrations_dir() -> Path:
    return Path(str(resources.files(MIGRATIONS_PACKAGE) / "migrations"))
