"""The rough edges a new user hits: short run ids, a quiet `sync`, a ping that names what it
could not reach within 15 s, report numbers people can read, `store stats` explaining pending."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from dropship_app.workflows import OrchestrationEngine, RunSpec, WorkflowError

ROOT = Path(__file__).resolve().parents[2]
parts = dg.StaticPartitionsDefinition(["a"])


@dg.asset(partitions_def=parts)
def tiny(context) -> int:
    return 1


def _engine(instance, level="WARNING"):
    defs = dg.Definitions(assets=[tiny], jobs=[dg.define_asset_job("tiny_job", selection=[tiny])])
    return OrchestrationEngine(instance=instance, defs=defs, log_level=level)


def test_status_takes_the_short_run_id_the_demo_prints():
    with dg.DagsterInstance.ephemeral() as inst:
        eng = _engine(inst)
        eng._execute_local(RunSpec("tiny_job", "a"), "wf-1")
        eng._execute_local(RunSpec("tiny_job", "a"), "wf-2")
        run_id = [r for r in inst.get_runs()][0].run_id
        st = eng.get_execution_status(run_id[:8])
        assert st["status"] == "SUCCESS" and [r["run_id"] for r in st["runs"]] == [run_id]
        with pytest.raises(WorkflowError, match="no run or workflow"):
            eng.get_execution_status("ffffffff")


def test_sync_runs_print_no_engine_debug(capfd):
    with dg.DagsterInstance.ephemeral() as inst:
        _engine(inst)._execute_local(RunSpec("tiny_job", "a"), "wf-q")
        quiet = capfd.readouterr()
        _engine(inst, "DEBUG")._execute_local(RunSpec("tiny_job", "a"), "wf-v")
        loud = capfd.readouterr()
    assert "STEP_START" not in quiet.err + quiet.out
    assert "STEP_START" in loud.err + loud.out  # the same run, verbose, does print them


@pytest.fixture
def silent_server():
    """Accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held = []
    stop = threading.Event()

    def loop():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    t.join()
    for c in held:
        c.close()
    srv.close()


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_ping_names_the_url_within_15_seconds(tmp_path, silent_server, kind):
    url = "http://127.0.0.1:1/auth" if kind == "refused" else f"{silent_server}/auth"
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text("suppliers:\n  - {key: oc-main, kind: ownerclan, username: seller1}\n", encoding="utf-8")
    env = {**os.environ, "OWNERCLAN_PASSWORD": "pw-0123456789", "OWNERCLAN_AUTH_URL": url,
           "OWNERCLAN_API_URL": url.replace("/auth", "/graphql")}
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "dropship_app.cli", "suppliers", "ping", "oc-main",
                        "--config", str(cfg)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    assert p.returncode == 1 and url.rsplit("/", 1)[0] in p.stderr, p.stderr
    assert took < 15 + 5, took  # 15 s deadline plus interpreter start
    assert "Traceback" not in p.stderr and "pw-0123456789" not in p.stderr + p.stdout


def test_report_numbers_are_formatted():
    from dbt_like_sql.cli import format_number

    assert format_number("margin_rate", 0.2486200593613696) == "24.9%"
    assert format_number("gross_margin_krw", 1234567.4) == "1,234,567원"
    assert format_number("llm_spend_usd_30d", 0.0123) == "$0.01"
    assert format_number("products", 12345) == "12,345"
    assert format_number("max_supplier_sync_age_hours", 3.14159) == "3.1 h"
    assert format_number("x", None) == "-"


def test_store_stats_says_which_pending_listings_are_sold_out(store):
    from dropship_core.model import CanonicalProduct
    from dropship_core.store import RunInfo

    store.ingest("k", [CanonicalProduct("k", "A1", "상품", 1000, stock=0, status="soldout"),
                       CanonicalProduct("k", "A2", "상품2", 1000, stock=5)], RunInfo("r", "a", "k"))
    with store.connect() as conn, conn.transaction():
        conn.execute("""UPDATE source_data SET market_data = jsonb_build_object('coupang', jsonb_build_object(
                        'status', 'pending', 'listing', jsonb_build_object('state', raw_data ->> 'status')))""")
    m = store.stats()["markets"]["coupang"]
    assert m["pending"] == 2 and m["pending_soldout"] == 1


def test_analytics_partitions_start_at_the_first_data(tmp_path, monkeypatch):
    import importlib

    import dbt_like_sql.dagster_assets as da

    monkeypatch.setenv("DROPSHIP_HOME", str(tmp_path))
    monkeypatch.delenv("DROPSHIP_ANALYTICS_START", raising=False)
    assert da.analytics_start_date() == "2026-01-01"            # nothing recorded yet
    assert da.record_analytics_start("2026-11-30") == "2026-11-30"
    assert da.record_analytics_start("2026-11-01") is None        # written once
    assert da.analytics_start_date() == "2026-11-30"
    monkeypatch.setenv("DROPSHIP_ANALYTICS_START", "2026-06-01")
    assert da.analytics_start_date() == "2026-06-01"
    monkeypatch.delenv("DROPSHIP_ANALYTICS_START")
    reloaded = importlib.reload(da)
    try:
        assert reloaded.analytics_daily_partitions.start.strftime("%Y-%m-%d") == "2026-11-30"
    finally:
        monkeypatch.setenv("DROPSHIP_ANALYTICS_START", "2026-01-01")
        importlib.reload(da)


def test_first_event_day(store):
    from dropship_core.model import CanonicalProduct
    from dropship_core.store import RunInfo

    assert store.first_event_day() is None
    store.ingest("k", [CanonicalProduct("k", "A1", "상품", 1000)], RunInfo("r", "a", "k"))
    assert len(store.first_event_day()) == 10
