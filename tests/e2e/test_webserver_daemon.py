"""End to end: the real Dagster webserver and daemon (`dagster dev`) on a Postgres-backed instance.

Launches product_sync for one supplier partition through the GraphQL API, waits for it, checks a
sensor-triggered run (a workbook dropped in the supplier's inbox) also happens, opens the UI in
headless Chromium, and stops every process it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def db_url_for(base: str, dbname: str, scheme: str = "postgresql") -> str:
    p = urlsplit(base)
    return urlunsplit((scheme, p.netloc, f"/{dbname}", p.query, ""))


@pytest.fixture
def dagster_db(base_url):
    name = f"dagster_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_url, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    yield db_url_for(base_url, name, "postgresql+psycopg2")
    with psycopg.connect(base_url, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def dagster_dev(dagster_db, db_url, public_tmp, demo_dir):
    home = public_tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"
        "storage:\n  postgres:\n"
        f"    postgres_url: \"{dagster_db}\"\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: QueuedRunCoordinator\n"
        "concurrency:\n  runs:\n    max_concurrent_runs: 2\n",
        encoding="utf-8",
    )
    inbox = public_tmp / "inbox"
    inbox.mkdir()
    workbook = public_tmp / "daon.xlsx"
    shutil.copy(demo_dir / "daon.xlsx", workbook)
    cfg = public_tmp / "suppliers.yaml"
    hanbit = public_tmp / "hanbit.xlsx"
    shutil.copy(demo_dir / "hanbit.xlsx", hanbit)
    cfg.write_text(f"suppliers:\n  - key: excel-e2e\n    kind: excel\n    path: {workbook}\n    inbox: {inbox}\n"
                   f"  - key: excel-e2e-hanbit\n    kind: excel\n    path: {hanbit}\n",
                   encoding="utf-8")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "DATABASE_URL": db_url, "DROPSHIP_SUPPLIERS": str(cfg),
           "PYTHONPATH": str(ROOT)}
    log = open(public_tmp / "dagster-dev.log", "w")
    # its own process group with default signal handlers, so the whole tree can be stopped
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-w", str(ROOT / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                r = httpx.post(f"{url}/graphql", json={"query": "{ version }"}, timeout=5)
                if r.status_code == 200 and r.json().get("data", {}).get("version"):
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise AssertionError("dagster dev did not come up:\n" + (public_tmp / "dagster-dev.log").read_text()[-3000:])
            time.sleep(1)
        yield {"url": url, "home": home, "inbox": inbox, "env": env, "log": public_tmp / "dagster-dev.log"}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        log.close()


def wait_for(fn, timeout: float, what: str, poll: float = 2.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def gql(url: str, query: str, variables: dict | None = None) -> dict:
    r = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)
    r.raise_for_status()
    body = r.json()
    assert not body.get("errors"), body
    return body["data"]


def launch_backfill(url: str, partitions: list[str]) -> str:
    data = gql(url, """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
                         __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }""",
               {"p": {"partitionNames": partitions, "fromFailure": False,
                      "assetSelection": [{"path": [a]} for a in ("supplier_catalog", "source_products",
                                                                  "enriched_products")]}})
    res = data["launchPartitionBackfill"]
    assert res["__typename"] == "LaunchBackfillSuccess", res
    return res["backfillId"]


def wait_backfill(url: str, backfill_id: str) -> None:
    def done():
        d = gql(url, """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
                          ... on PartitionBackfill { status } } }""", {"id": backfill_id})
        st = d["partitionBackfillOrError"]["status"]
        return st if st not in ("REQUESTED", "CANCELING") else None

    status = wait_for(done, 300, f"backfill {backfill_id}")
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status


def product_events(db_url: str) -> int:
    with psycopg.connect(db_url) as c:
        return c.execute("SELECT count(*) FROM source_data_events"
                         " WHERE event_type IN ('ingested', 'changed', 'delisted', 'enriched')").fetchone()[0]


def test_launch_through_graphql_sensor_run_and_ui(dagster_dev, db_url):
    import dagster as dg

    from dropship_app.workflows import OrchestrationEngine

    url, home = dagster_dev["url"], dagster_dev["home"]
    old_home = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions("supplier", ["excel-e2e", "excel-e2e-hanbit"])
            engine = OrchestrationEngine(graphql_url=f"{url}/graphql")
            wid = engine.execute_workflow("product_sync", {"suppliers": ["excel-e2e"], "sync_mode": "full"})
            st = wait_for(lambda: (lambda s: s if s["status"] in ("SUCCESS", "FAILURE") else None)(
                engine.get_execution_status(wid)), 240, "product_sync run")
            assert st["status"] == "SUCCESS", (st, dagster_dev["log"].read_text()[-3000:])
            assert st["steps_completed"] == 3
            run_id = st["runs"][0]["run_id"]
            run = instance.get_run_by_id(run_id)
            assert run.tags["dagster/partition"] == "excel-e2e"
            with psycopg.connect(db_url) as c:
                assert c.execute("SELECT count(*) FROM source_data WHERE supplier_key='excel-e2e'").fetchone()[0] == 200

            # a sensor-triggered run: drop a workbook into the supplier's inbox
            dropped = dagster_dev["inbox"] / "update.xlsx"
            shutil.copy(ROOT / "demo_data" / "acme.xlsx", dropped)
            t = time.time() - 60
            os.utime(dropped, (t, t))

            def sensor_run():
                runs = instance.get_runs(filters=dg.RunsFilter(tags={"dropship/trigger": "excel_drop"}))
                done = [r for r in runs if r.status.value in ("SUCCESS", "FAILURE")]
                return done[0] if done else None

            drop_run = wait_for(sensor_run, 240, "the drop-folder sensor's run")
            assert drop_run.status.value == "SUCCESS", dagster_dev["log"].read_text()[-3000:]
            assert not dropped.exists() and any((dagster_dev["inbox"] / "processed").iterdir())

            # a backfill over every supplier partition, from the GraphQL API, twice: the second
            # one writes no store events
            before = product_events(db_url)
            wait_backfill(url, launch_backfill(url, ["excel-e2e", "excel-e2e-hanbit"]))
            first = product_events(db_url)
            assert first > before  # hanbit's products arrived
            wait_backfill(url, launch_backfill(url, ["excel-e2e", "excel-e2e-hanbit"]))
            assert product_events(db_url) == first
    finally:
        if old_home is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old_home

    # the UI: the asset graph shows the pipeline's assets
    if not CHROMIUM:
        pytest.skip("Chromium is not installed (apt-get install chromium); the UI check needs it")
    ARTIFACTS.mkdir(exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
             "--virtual-time-budget=15000", "--window-size=1600,1000"]
    profile = dagster_dev["home"] / "chromium-profile"
    def dom(path: str) -> str:
        return subprocess.run([CHROMIUM, *flags, f"--user-data-dir={profile}", "--dump-dom", f"{url}{path}"],
                              capture_output=True, text=True, timeout=120).stdout

    ingest = dom("/locations/dropship/asset-groups/ingest")
    assert "supplier_catalog" in ingest and "source_products" in ingest, "ingest group graph did not render"
    listings = dom("/locations/dropship/asset-groups/listings")
    assert "market_listings" in listings, "listings group graph did not render"
    shot = ARTIFACTS / "ui-asset-graph.png"
    subprocess.run([CHROMIUM, *flags, f"--user-data-dir={profile}", f"--screenshot={shot}",
                    f"{url}/asset-groups"], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
