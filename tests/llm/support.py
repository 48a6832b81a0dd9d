"""Constants and utilities shared by the llm tests (importable, unlike conftest)."""

from __future__ import annotations

import os
import pathlib

import psycopg

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
MIGRATIONS = pathlib.Path(__file__).resolve().parents[2] / "dropship_core" / "store" / "migrations"
# looks like a real key so a leak would be recognisable; it opens nothing
TEST_KEY = "sk-test-7f3a9c1e5b2d4a6f8e0c"


def apply_migrations(conn: psycopg.Connection) -> None:
    """Every migration in filename order, as the store's runner does."""
    for f in sorted(MIGRATIONS.glob("*.sql")):
        conn.execute(f.read_text())
