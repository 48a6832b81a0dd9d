from __future__ import annotations

import os
import tempfile
import uuid

import psycopg
import pytest

from dropship_core.serve import ServerThread
from .fake_servers import FakeLLM
from .support import DATABASE_URL, apply_migrations


@pytest.fixture(scope="session")
def embedded_pg():
    """An embedded Postgres (pgserver wheel, PG 16 with pgvector), started on first use."""
    pgserver = pytest.importorskip("pgserver")
    errors = []
    for _ in range(3):  # initdb/startup of an embedded server can lose a race with another one starting
        try:
            # not under pytest's basetemp: a concurrent pytest run prunes old basetemp dirs,
            # which would delete this server's data directory while it runs
            srv = pgserver.get_server(tempfile.mkdtemp(prefix="dropship-llm-pg-"), cleanup_mode="delete")
            uri = srv.get_uri()
            psycopg.connect(uri, connect_timeout=10).close()
            break
        except Exception as e:  # noqa: BLE001 - reported in the skip reason
            errors.append(f"{type(e).__name__}: {e}"[:300])
    else:
        pytest.skip("the embedded pgserver Postgres (with pgvector) did not start: " + " | ".join(errors))
    yield uri
    srv.cleanup()


@pytest.fixture(scope="session")
def database_url(request):
    """DATABASE_URL if set; else the shared test Postgres on 127.0.0.1:5432 if it answers; else an
    embedded one, so the suite runs wherever the project does."""
    if os.environ.get("DATABASE_URL"):
        return DATABASE_URL
    try:
        psycopg.connect(DATABASE_URL, connect_timeout=3).close()
        return DATABASE_URL
    except psycopg.OperationalError:
        return request.getfixturevalue("embedded_pg")


@pytest.fixture(scope="session")
def pg_schema(database_url):
    """A fresh schema with every migration applied; dropped at the end."""
    schema = f"t_llm_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        apply_migrations(conn)
    yield schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_dsn(database_url, pg_schema):
    return psycopg.conninfo.make_conninfo(database_url, options=f"-csearch_path={pg_schema}")


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
def pgvector_dsn(embedded_pg):
    """A database on the embedded Postgres, which always ships pgvector (the shared CI Postgres
    may not), with the migrations applied."""
    db = f"llm_pgv_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(embedded_pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    uri = psycopg.conninfo.make_conninfo(embedded_pg, dbname=db)
    with psycopg.connect(uri, autocommit=True) as conn:
        apply_migrations(conn)
    return uri


@pytest.fixture(scope="session")
def redis_url():
    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.ConnectionError as e:
        pytest.skip(f"no Redis at {url} ({e}); start one (redis-server) to run the Redis and Upstash tests")
    return url
