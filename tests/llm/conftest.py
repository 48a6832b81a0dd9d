from __future__ import annotations

import os
import tempfile
import uuid

import psycopg
import pytest

from dropship_core.sandbox.serve import ServerThread
from tests.llm.fake_servers import FakeLLM

from tests.llm.support import DATABASE_URL, apply_migrations


@pytest.fixture(scope="session")
def pg_schema():
    """A fresh schema with every migration applied; dropped at the end."""
    schema = f"t_llm_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        apply_migrations(conn)
    yield schema
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_dsn(pg_schema):
    sep = "&" if "?" in DATABASE_URL else "?"
    return f"{DATABASE_URL}{sep}options=-csearch_path%3D{pg_schema}"


@pytest.fixture
def pg_conn(pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def fake_llm_server():
    fake = FakeLLM()
    with ServerThread(fake.app) as srv:
        yield fake, srv


@pytest.fixture
def fake_llm(fake_llm_server):
    fake, srv = fake_llm_server
    fake.steps.clear()
    fake.requests.clear()
    fake.default = lambda body: pytest.fail("unscripted LLM request")
    return fake, srv


@pytest.fixture(scope="session")
def pgvector_dsn():
    """An embedded Postgres (pgserver wheel) that ships pgvector, with the migrations applied.
    The shared CI Postgres may lack the extension; this one never does."""
    pgserver = pytest.importorskip("pgserver")
    errors = []
    for _ in range(3):  # initdb/startup of an embedded server can lose a race with another one starting
        try:
            # not under pytest's basetemp: a concurrent pytest session prunes old basetemp dirs,
            # which would delete this server's data directory while it runs
            srv = pgserver.get_server(tempfile.mkdtemp(prefix="dropship-llm-pgv-"), cleanup_mode="delete")
            uri = srv.get_uri()
            psycopg.connect(uri, connect_timeout=10).close()
            break
        except Exception as e:  # noqa: BLE001 - reported in the skip reason
            errors.append(f"{type(e).__name__}: {e}"[:300])
    else:
        pytest.skip("the embedded pgserver Postgres (with pgvector) did not start: " + " | ".join(errors))
    with psycopg.connect(uri, autocommit=True) as conn:
        apply_migrations(conn)
    yield uri
    srv.cleanup()


@pytest.fixture(scope="session")
def redis_url():
    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    redis.Redis.from_url(url).ping()
    return url
