"""Fixtures for the supplier tests: sandboxes on loopback ports, a private Postgres schema."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from dropship_sandbox import domeggook as dg_sandbox
from dropship_sandbox import ownerclan as oc_sandbox
from dropship_core.serve import ServerThread
from dropship_core.suppliers.domeggook import DomeggookConnector, DomeggookSettings
from dropship_core.suppliers.ownerclan import OwnerClanConnector, OwnerClanSettings

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
MIGRATIONS = Path(__file__).resolve().parents[2] / "dropship_core" / "store" / "migrations"

# Fast retries for tests: the behaviour is the same, the waits are short.
FAST = dict(min_interval_s=0, backoff_base_s=0.01, max_backoff_s=0.05)


class Sandbox:
    def __init__(self, app):
        self.app = app
        self.state = app.state.sandbox
        self.server = ServerThread(app).start()
        self.url = self.server.url
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def post(self, path: str, body: dict) -> dict:
        r = self.http.post(path, json=body)
        r.raise_for_status()
        return r.json()

    def delete(self, path: str) -> None:
        self.http.delete(path).raise_for_status()

    def stop(self) -> None:
        self.http.close()
        self.server.stop()


@pytest.fixture
def ownerclan():
    def start(count: int = 300, **kw) -> Sandbox:
        kw.setdefault("rpm_limit", 0)
        sb = Sandbox(oc_sandbox.create_app(count=count, **kw))
        started.append(sb)
        return sb

    started: list[Sandbox] = []
    yield start
    for sb in started:
        sb.stop()


@pytest.fixture
def domeggook():
    def start(count: int = 300, **kw) -> Sandbox:
        kw.setdefault("rpm_limit", 0)
        sb = Sandbox(dg_sandbox.create_app(count=count, **kw))
        started.append(sb)
        return sb

    started: list[Sandbox] = []
    yield start
    for sb in started:
        sb.stop()


@pytest.fixture
def oc_connector():
    return make_oc_connector


@pytest.fixture
def dg_connector():
    return make_dg_connector


def make_oc_connector(sb: Sandbox, key: str = "ownerclan-main", **kw) -> OwnerClanConnector:
    settings = OwnerClanSettings(
        username=kw.pop("username", oc_sandbox.DEFAULT_USERNAME),
        password=kw.pop("password", oc_sandbox.DEFAULT_PASSWORD),
        auth_url=sb.url + "/auth", api_url=sb.url + "/v1/graphql", **{**FAST, **kw})
    return OwnerClanConnector(key, settings)


def make_dg_connector(sb: Sandbox, key: str = "domeggook-a", **kw) -> DomeggookConnector:
    settings = DomeggookSettings(api_key=kw.pop("api_key", dg_sandbox.DEFAULT_API_KEY),
                                 base_url=sb.url + "/ssl/api/", **{**FAST, **kw})
    return DomeggookConnector(key, settings)


@pytest.fixture(scope="session")
def database_url(request) -> str:
    """The project's test Postgres (`base_url` from the top-level conftest when present, which also
    starts the embedded one), else DATABASE_URL, else the local default."""
    try:
        return request.getfixturevalue("base_url")
    except pytest.FixtureLookupError:
        return DATABASE_URL


@pytest.fixture(scope="session")
def pg_schema(database_url):
    """A fresh schema holding this area's migrations; dropped at the end."""
    schema = f"t_suppliers_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}")
        for f in sorted(MIGRATIONS.glob("2[0-9][0-9]_*.sql")):
            conn.execute(f.read_text())
            conn.execute(f.read_text())  # idempotent: applying twice changes nothing
    yield schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg(database_url, pg_schema):
    with psycopg.connect(database_url, autocommit=True, options=f"-c search_path={pg_schema}") as conn:
        conn.execute("TRUNCATE webhook_inbox RESTART IDENTITY")
        yield conn
