"""Sensors and schedules: drop folder, run-failure alerts, supplier sync schedules."""

import json
import os
import shutil
import time
from datetime import datetime, timezone

import dagster as dg
import psycopg
import pytest

from dropship_core.serve import ServerThread
from dropship_resources.llm import LLMResource
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource
from dropship_sensors.excel_drop import excel_drop_sensor
from dropship_sensors.run_failure import run_failure_alerts
from dropship_sensors.schedules import full_sync_schedule, incremental_sync_schedule


@pytest.fixture
def drop_setup(db_url, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text(
        "suppliers:\n"
        f"  - key: excel-acme\n    kind: excel\n    path: {tmp_path / 'none.xlsx'}\n    inbox: {inbox}\n"
        f"  - key: excel-new\n    kind: excel\n    path: {tmp_path / 'none.xlsx'}\n    inbox: {inbox}\n",
        encoding="utf-8")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("supplier", ["excel-acme"])
    resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=str(cfg)),
                 "pricing": PricingResource(), "llm": LLMResource()}
    return instance, resources, inbox


def age(path, seconds=60):
    t = time.time() - seconds
    os.utime(path, (t, t))


def tick(instance, resources, cursor=None):
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"suppliers": resources["suppliers"]})
    return excel_drop_sensor(ctx)


def test_drop_folder_sensor_requests_each_file_once(drop_setup, demo_dir):
    instance, resources, inbox = drop_setup
    f = inbox / "acme-1126.xlsx"
    shutil.copy(demo_dir / "acme.xlsx", f)
    age(f)
    (inbox / "notes.txt").write_text("not a workbook")
    res = tick(instance, resources)
    assert isinstance(res, dg.SensorResult)
    (req,) = res.run_requests  # excel-new is not a partition yet, so only excel-acme's inbox counts
    assert req.partition_key == "excel-acme"
    assert req.run_config["ops"]["supplier_catalog"]["config"]["file_path"] == str(f)
    assert req.run_key.startswith("drop:excel-acme:acme-1126.xlsx:")
    cursor = json.loads(res.cursor)
    assert list(cursor) == ["excel-acme"] and len(cursor["excel-acme"]) == 1
    # next tick: the same file is not requested again
    again = tick(instance, resources, res.cursor)
    assert isinstance(again, dg.SkipReason)
    # a file still being written waits
    young = inbox / "acme-late.xlsx"
    shutil.copy(demo_dir / "acme.xlsx", young)
    assert isinstance(tick(instance, resources, res.cursor), dg.SkipReason)
    age(young)
    (req2,) = tick(instance, resources, res.cursor).run_requests
    assert req2.run_config["ops"]["supplier_catalog"]["config"]["file_path"] == str(young)


def test_dropped_file_is_ingested_then_moved(drop_setup, demo_dir):
    instance, resources, inbox = drop_setup
    good = inbox / "daon.xlsx"
    shutil.copy(demo_dir / "daon.xlsx", good)
    age(good)
    (req,) = tick(instance, resources).run_requests
    from dropship_assets.definitions import defs

    job = defs.resolve_job_def("product_sync")
    res = job.execute_in_process(run_config=req.run_config, partition_key="excel-acme", instance=instance,
                                 resources=resources)
    assert res.success
    assert not good.exists()
    (moved,) = (inbox / "processed").iterdir()
    assert moved.name.endswith("-daon.xlsx")
    with psycopg.connect(resources["store"].database_url) as c:
        assert c.execute("SELECT count(*) FROM source_data WHERE supplier_key='excel-acme'").fetchone()[0] == 200

    bad = inbox / "broken.xlsx"
    bad.write_bytes(b"not a workbook")
    age(bad)
    cfg = {"ops": {"supplier_catalog": {"config": {"file_path": str(bad), "sync_mode": "full"}}}}
    res = job.execute_in_process(run_config=cfg, partition_key="excel-acme", instance=instance, resources=resources,
                                 raise_on_error=False)
    assert not res.success
    failed = sorted(p.name for p in (inbox / "failed").iterdir())
    assert len(failed) == 2 and failed[0].endswith("-broken.xlsx") and failed[1].endswith(".reason.txt")
    assert "not a readable workbook" in (inbox / "failed" / failed[1]).read_text()


def test_sync_schedules_request_every_supplier_with_mode():
    with dg.instance_for_test() as instance:
        _check_schedules(instance)


def _check_schedules(instance):
    when = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)
    ctx = dg.build_schedule_context(instance=instance, scheduled_execution_time=when)
    assert isinstance(incremental_sync_schedule(ctx), dg.SkipReason)
    # keys of the repository's suppliers.yaml, all enabled
    instance.add_dynamic_partitions("supplier", ["excel-acme", "ownerclan-sandbox"])
    ctx = dg.build_schedule_context(instance=instance, scheduled_execution_time=when)
    reqs = incremental_sync_schedule(ctx)
    assert [r.partition_key for r in reqs] == ["excel-acme", "ownerclan-sandbox"]
    assert {r.run_config["ops"]["supplier_catalog"]["config"]["sync_mode"] for r in reqs} == {"incremental"}
    assert reqs[0].run_key == "incremental:excel-acme:20261126T0300"
    full = full_sync_schedule(ctx)
    assert {r.run_config["ops"]["supplier_catalog"]["config"]["sync_mode"] for r in full} == {"full"}
    from dropship_assets.definitions import defs

    job = defs.resolve_job_def("product_sync")
    for r in reqs + full:
        assert dg.validate_run_config(job, r.run_config)
    assert incremental_sync_schedule.cron_schedule == "0 * * * *"
    assert incremental_sync_schedule.execution_timezone == "Asia/Seoul"


def test_run_failure_sensor_records_and_forwards_alert(db_url, tmp_path, monkeypatch):
    from dropship_core import error_reporting
    from tests.observe.sentry_capture import SentryCapture

    cap = SentryCapture()
    with ServerThread(cap.app()) as srv:
        monkeypatch.setenv("SENTRY_DSN", f"http://pubkey123@127.0.0.1:{srv.port}/42")
        monkeypatch.setenv("DROPSHIP_ALERT_WEBHOOK_URL", f"{srv.url}/hooks/alerts")
        monkeypatch.setenv("COUPANG_SECRET_KEY", "sk-very-secret-0042")
        cfg = tmp_path / "suppliers.yaml"
        cfg.write_text("suppliers:\n  - key: excel-other\n    kind: excel\n    path: /nowhere.xlsx\n")
        instance = dg.DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("supplier", ["excel-missing"])
        resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=str(cfg)),
                     "pricing": PricingResource(), "llm": LLMResource()}
        from dropship_assets.definitions import defs

        job = defs.resolve_job_def("product_sync")
        res = job.execute_in_process(partition_key="excel-missing", instance=instance, resources=resources,
                                     raise_on_error=False)
        assert not res.success
        failure = [e for e in res.all_events if e.event_type_value == "PIPELINE_FAILURE"][0]
        with dg.build_run_status_sensor_context(
            sensor_name="run_failure_alerts", dagster_event=failure, dagster_instance=instance,
            dagster_run=res.dagster_run, resources={"store": resources["store"]},
        ).for_run_failure() as ctx:
            run_failure_alerts(ctx)
            run_failure_alerts(ctx)  # a second evaluation of the same failure records nothing new
        error_reporting.shutdown()
    with psycopg.connect(db_url) as c:
        rows = c.execute("SELECT kind, run_id, job_name, partition, message, delivered FROM alerts").fetchall()
    assert len(rows) == 1
    kind, run_id, job_name, partition, message, delivered = rows[0]
    assert (kind, run_id, job_name, partition) == ("run_failure", res.run_id, "product_sync", "excel-missing")
    assert "no supplier account 'excel-missing'" in message
    assert delivered == {"sentry": "ok", "webhook": "ok"}
    paths = [c[0] for c in cap.calls]
    assert "/api/42/envelope/" in paths and "/hooks/alerts" in paths
    sentry = [c for c in cap.calls if c[0] == "/api/42/envelope/"][0]
    assert "sentry_key=pubkey123" in sentry[1]["x-sentry-auth"]
    assert b"excel-missing" in sentry[2]
    assert len(cap.events) == 1 and cap.events[0]["tags"]["partition"] == "excel-missing"
    assert all(b"sk-very-secret-0042" not in c[2] for c in cap.calls)


def test_inventory_and_analytics_schedules():
    from dbt_like_sql.dagster_assets import analytics_daily_schedule
    from dropship_assets.definitions import defs
    from dropship_sensors.schedules import inventory_sync_schedule

    assert inventory_sync_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert inventory_sync_schedule.cron_schedule == "*/15 * * * *"
    with dg.instance_for_test() as instance:
        when = datetime(2026, 11, 26, 3, 15, tzinfo=timezone.utc)
        instance.add_dynamic_partitions("supplier", ["excel-acme"])
        reqs = inventory_sync_schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        # one run per market over the range of supplier partitions
        assert sorted((r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
                      for r in reqs) == [("coupang|excel-acme", "coupang|excel-acme"),
                                         ("gmarket|excel-acme", "gmarket|excel-acme"),
                                         ("smartstore|excel-acme", "smartstore|excel-acme")]
        job = defs.resolve_job_def("inventory_sync")
        assert dg.validate_run_config(job, {"ops": {"market_sync": {"config": {"only": "stock"}}}})
        req = analytics_daily_schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        assert req.partition_key == "2026-11-25" and req.run_key == "analytics-2026-11-25"


def test_schedules_skip_disabled_and_removed_accounts(tmp_path, monkeypatch):
    """A disabled account, or one no longer in suppliers.yaml, keeps its partition but gets no run."""
    from dropship_sensors.schedules import inventory_sync_schedule

    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text("suppliers:\n"
                   "  - {key: excel-on, kind: excel, path: a.xlsx}\n"
                   "  - {key: excel-off, kind: excel, path: b.xlsx, enabled: false}\n", encoding="utf-8")
    monkeypatch.setenv("DROPSHIP_SUPPLIERS", str(cfg))
    when = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("supplier", ["excel-on", "excel-off", "excel-gone"])
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as ctx:
            assert [r.partition_key for r in incremental_sync_schedule(ctx)] == ["excel-on"]
            assert [r.partition_key for r in full_sync_schedule(ctx)] == ["excel-on"]
            inv = inventory_sync_schedule(ctx)
            assert {r.tags[f"dagster/asset_partition_range_{end}"].split("|")[1]
                    for r in inv for end in ("start", "end")} == {"excel-on"}
            cfg.write_text("suppliers:\n  - {key: excel-off, kind: excel, path: b.xlsx, enabled: false}\n",
                           encoding="utf-8")
            assert isinstance(incremental_sync_schedule(ctx), dg.SkipReason)
