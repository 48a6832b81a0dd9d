"""Scale-out on an existing engine: the analytics job on the Celery executor with the local Redis
broker and two worker processes. Steps spread over both workers; the results equal the
in-process run's."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not redis_up() or shutil.which(str(BIN / "dagster-celery")) is None,
                                reason="needs Redis on 127.0.0.1:6379 and dagster-celery installed")

LAUNCH = """
import sys, warnings
warnings.filterwarnings("ignore")
import dagster as dg
from dropship_app.workers import analytics_job_for_workers
with dg.DagsterInstance.get() as instance:
    res = dg.execute_job(dg.reconstructable(analytics_job_for_workers), instance=instance,
                         tags={"dagster/partition": sys.argv[1]})
    print("RUN", res.run_id, res.success)
"""


def swap_db(base: str, name: str) -> str:
    p = urlsplit(base)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, ""))


@pytest.fixture
def scaleout_env(base_url, public_tmp, demo_dir):
    name = f"scaleout_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_url, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    url = swap_db(base_url, name)
    from dropship_core.store import RunInfo, Store
    from dropship_core.suppliers.excel import ExcelCatalog

    store = Store(url)
    store.migrate()
    for key, f in (("excel-daon", "daon.xlsx"), ("excel-hanbit", "hanbit.xlsx")):
        fetched = ExcelCatalog(key, demo_dir / f).fetch()
        store.ingest(key, fetched.products, RunInfo("seed", "source_products", key))
        store.quarantine(key, fetched.rejects, RunInfo("seed", "source_products", key))
    home = public_tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    broker = REDIS.rsplit("/", 1)[0] + "/11"
    env = {**os.environ, "DATABASE_URL": url, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT),
           "DROPSHIP_CELERY_BROKER": broker, "DROPSHIP_CELERY_BACKEND": broker}
    yield {"url": url, "env": env, "home": home, "tmp": public_tmp, "broker": broker}
    with psycopg.connect(base_url, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def analytics_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as c:
        rels = [r[0] for r in c.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics' ORDER BY 1").fetchall()]
        return {r: c.execute(f'SELECT count(*) FROM analytics."{r}"').fetchone()[0] for r in rels}


def launch(env: dict, day: str) -> str:
    p = subprocess.run([sys.executable, "-c", LAUNCH, day], env=env, cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("RUN ")]
    assert line and line[-1].endswith("True"), p.stdout[-2000:] + p.stderr[-4000:]
    return line[-1].split()[1]


def test_analytics_on_two_celery_workers_matches_in_process(scaleout_env):
    import dagster as dg

    env = scaleout_env["env"]
    day = "2026-11-25"
    in_process_run = launch(env, day)
    baseline = analytics_counts(scaleout_env["url"])
    assert len(baseline) >= 10 and baseline["stg_products"] == 460

    cfg = scaleout_env["tmp"] / "celery.yaml"
    cfg.write_text(f"execution:\n  config:\n    broker: {scaleout_env['broker']}\n"
                   f"    backend: {scaleout_env['broker']}\n")
    wenv = {**env, "DROPSHIP_EXECUTOR": "celery", "PATH": f"{BIN}:{env.get('PATH', '')}"}
    workers = []
    try:
        for i in (1, 2):
            log = open(scaleout_env["tmp"] / f"worker{i}.log", "w")
            workers.append((subprocess.Popen(
                [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app", "-y", str(cfg),
                 "-n", f"dropship-w{i}", "--", "--concurrency=1"],
                env=wenv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True), log))
        deadline = time.monotonic() + 120
        while not all("ready" in (scaleout_env["tmp"] / f"worker{i}.log").read_text() for i in (1, 2)):
            assert time.monotonic() < deadline, (scaleout_env["tmp"] / "worker1.log").read_text()[-2000:]
            assert all(p.poll() is None for p, _ in workers), (scaleout_env["tmp"] / "worker1.log").read_text()[-3000:]
            time.sleep(1)
        celery_run = launch(wenv, day)
    finally:
        for p, log in workers:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            log.close()

    assert analytics_counts(scaleout_env["url"]) == baseline
    with dg.DagsterInstance.from_config(str(scaleout_env["home"])) as instance:
        run = instance.get_run_by_id(celery_run)
        assert run.status.value == "SUCCESS"
        starts = [e for e in instance.all_logs(celery_run) if e.dagster_event and
                  e.dagster_event.event_type_value == "STEP_START"]
        pids = {e.dagster_event.pid for e in starts}
        assert len(starts) >= 10
        assert len(pids) >= 2, f"every step ran in one process: {pids}"
        base_starts = [e for e in instance.all_logs(in_process_run) if e.dagster_event and
                       e.dagster_event.event_type_value == "STEP_START"]
        assert len(base_starts) == len(starts)
