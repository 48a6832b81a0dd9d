import os
import secrets
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
MIGRATION = ROOT / "dropship_core" / "store" / "migrations" / "300_categories.sql"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture()
def pg():
    """A psycopg connection inside a fresh schema with migration 300 applied; dropped afterwards."""
    schema = f"t_enrich_{secrets.token_hex(4)}"
    conn = psycopg.connect(DATABASE_URL, autocommit=True)
    try:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
        sql = MIGRATION.read_text(encoding="utf-8")
        conn.execute(sql)
        conn.execute(sql)  # idempotent
        yield conn
    finally:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()


@pytest.fixture(scope="session")
def enricher():
    from dropship_core.ai.offline import OfflineEnricher

    return OfflineEnricher()
