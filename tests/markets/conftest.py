"""Fixtures: the sandbox marketplaces on loopback ports and a fresh Postgres schema holding the
store's tables (the store's migrations)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from markets_testkit import DATABASE_URL, ROOT, Sandboxes


@pytest.fixture(scope="session")
def sandboxes():
    """Shared sandboxes for tests that inject no faults (each test uses its own seller codes)."""
    sb = Sandboxes()
    yield sb
    sb.stop()


@pytest.fixture
def make_sandboxes():
    made = []

    def make(**kw):
        sb = Sandboxes(**kw)
        made.append(sb)
        return sb

    yield make
    for sb in made:
        sb.stop()


# -- real Postgres ------------------------------------------------------------------------

@pytest.fixture
def pg():
    """A fresh schema holding the store's tables (the store's migrations), dropped afterwards."""
    schema = f"t_markets_{uuid.uuid4().hex[:10]}"
    conn = psycopg.connect(DATABASE_URL, autocommit=True)
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path TO {schema}")
    for f in sorted((ROOT / "dropship_core" / "store" / "migrations").glob("*.sql")):
        conn.execute(f.read_text())
    yield conn
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


