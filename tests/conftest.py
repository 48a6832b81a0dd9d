"""Shared fixtures: a real Postgres (DATABASE_URL, else the embedded one) with a schema per session."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

# analytics partitions from a fixed day in tests, whatever a demo recorded under .dropship/
os.environ.setdefault("DROPSHIP_ANALYTICS_START", "2026-01-01")
warnings.filterwarnings("ignore", message=".*is currently in beta.*")
warnings.filterwarnings("ignore", message=".*is currently in preview.*")

ROOT = Path(__file__).resolve().parent.parent


def with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema},public')}"


_EMBEDDED: dict[str, Path] = {}


def pytest_configure(config):
    """With no DATABASE_URL, start an embedded Postgres for the whole session and export its URL,
    so every test module (and every subprocess a test starts) finds the same server."""
    if os.environ.get("DATABASE_URL", "").strip():
        return
    from dropship_core.db import start_embedded

    # not under pytest's private (0700) temp root: as root, pgserver runs the server as an
    # unprivileged user that must be able to reach the data directory
    top = Path(tempfile.mkdtemp(prefix="dropship-test-pg-"))
    _EMBEDDED["top"] = top
    os.environ["DATABASE_URL"] = start_embedded(top / "data")
    os.environ["DROPSHIP_TEST_EMBEDDED_PG"] = "1"


def pytest_unconfigure(config):
    top = _EMBEDDED.pop("top", None)
    if top is not None:
        from dropship_core.db import stop_embedded

        stop_embedded(top / "data")
        shutil.rmtree(top, ignore_errors=True)
        os.environ.pop("DATABASE_URL", None)


@pytest.fixture(scope="session")
def base_url() -> str:
    return os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def schema_factory(base_url):
    created = []

    def make(prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(base_url, autocommit=True) as c:
            c.execute(f'CREATE SCHEMA "{name}"')
        created.append(name)
        return with_schema(base_url, name)

    yield make
    with psycopg.connect(base_url, autocommit=True) as c:
        for name in created:
            c.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def db_url(schema_factory) -> str:
    """A fresh, empty schema for one test."""
    return schema_factory()


@pytest.fixture
def store(db_url):
    from dropship_core.store import Store

    s = Store(db_url)
    s.migrate()
    return s


@pytest.fixture
def demo_dir() -> Path:
    return ROOT / "demo_data"


@pytest.fixture
def public_tmp():
    """A temporary directory other local users can traverse (for the embedded Postgres)."""
    top = Path(tempfile.mkdtemp(prefix="dropship-test-"))
    top.chmod(0o755)
    yield top
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def market_sandboxes(monkeypatch):
    """The three marketplace sandboxes on loopback ports, unpaced, with the environment pointing
    at them (what a seller's dry run sets); stopped afterwards."""
    from dropship_sandbox.market_common import start_market_sandboxes

    servers, env = start_market_sandboxes(0, rate_limits=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for k in ("SMARTSTORE", "COUPANG", "ESM"):
        monkeypatch.setenv(f"{k}_RATE_PER_S", "500")
    yield servers
    for s in servers:
        s.stop()
